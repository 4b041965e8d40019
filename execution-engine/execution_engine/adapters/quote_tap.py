"""The one hook through which a venue's data client hands each quote it publishes to the rest of
Gauntlet: the tick path (normalize → validate → aggregate → bus) and the session recorder, so a
live session can be replayed as a backtest from exactly the quotes the node saw.

A tap is not serializable, so it is bound into a data client's factory (adapters/README.md),
never put in a config. The live layer implements it (`live.marketdata`); adapters only call it.
"""

from __future__ import annotations

from typing import Protocol

from nautilus_trader.model.data import QuoteTick


class QuoteTap(Protocol):
    """Receives every quote a data client publishes, in the order it published them."""

    def on_quote(self, tick: QuoteTick) -> None:
        """Called on the node's event loop right after `_handle_data(tick)`; must not block
        (buffer and hand off: the pricing stream's hot path runs through here)."""
