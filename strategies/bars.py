"""The bar frame convention, owned by `marketdata.frames`; re-exported where strategies and the
engines have always imported it."""

from marketdata.frames import BAR_FIELDS, BarsError, is_panel, validate_bars

__all__ = ["BAR_FIELDS", "BarsError", "is_panel", "validate_bars"]
