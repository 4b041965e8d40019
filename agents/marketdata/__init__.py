"""The in-process tick path: normalize → validate → aggregate to bars → publish on the bus."""

from agents.marketdata.aggregate import BarAggregator, parse_timeframe
from agents.marketdata.normalize import TickBatch, normalize
from agents.marketdata.tick_path import TickPath, TickPathReport
from agents.marketdata.validate import Rejection, TickValidator

__all__ = [
    "BarAggregator",
    "Rejection",
    "TickBatch",
    "TickPath",
    "TickPathReport",
    "TickValidator",
    "normalize",
    "parse_timeframe",
]
