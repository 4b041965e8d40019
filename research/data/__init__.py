"""Market data: loaders, quality checks and repair, the Parquet catalog, resampling and the
synthetic generator.

    from research.data import load_bars, generate_bars
    bars = load_bars("data/sample/EURUSD_H1_synthetic.csv")
"""

from research.data.catalog import Catalog, CatalogEntry, WriteResult, default_root
from research.data.errors import DataError
from research.data.loaders import (
    LoadedBars,
    load_bars,
    load_bars_with_report,
    load_panel,
    load_ticks,
)
from research.data.quality import RULES, Issue, QualityConfig, QualityReport, check_bars
from research.data.repair import RepairAction, RepairReport, repair_bars
from research.data.resample import resample_bars, ticks_to_bars
from research.data.synthetic import SYNTHETIC_SUFFIX, generate_bars, generate_ticks
from research.data.timeframes import Timeframe, parse_timeframe

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
    "check_bars",
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
