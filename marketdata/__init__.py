"""Market data: loaders, quality checks and repair, the Parquet catalog, resampling and the
synthetic generator.

    from marketdata import load_bars, generate_bars
    bars = load_bars("data/sample/EURUSD_H1_synthetic.csv")
"""

from marketdata.catalog import Catalog, CatalogEntry, WriteResult, default_root
from marketdata.errors import DataError
from marketdata.loaders import (
    LoadedBars,
    load_bars,
    load_bars_with_report,
    load_panel,
    load_ticks,
)
from marketdata.quality import RULES, Issue, QualityConfig, QualityReport, check_quality
from marketdata.repair import RepairAction, RepairReport, repair_bars
from marketdata.resample import resample_bars, ticks_to_bars
from marketdata.synthetic import SYNTHETIC_SUFFIX, generate_bars, generate_ticks
from marketdata.timeframes import Timeframe, parse_timeframe

__all__ = [
    "RULES",
    "SYNTHETIC_SUFFIX",
    "Catalog",
    "CatalogEntry",
    "DataError",
    "Issue",
    "LoadedBars",
    "QualityConfig",
    "QualityReport",
    "RepairAction",
    "RepairReport",
    "Timeframe",
    "WriteResult",
    "check_quality",
    "default_root",
    "generate_bars",
    "generate_ticks",
    "load_bars",
    "load_bars_with_report",
    "load_panel",
    "load_ticks",
    "parse_timeframe",
    "repair_bars",
    "resample_bars",
    "ticks_to_bars",
]
