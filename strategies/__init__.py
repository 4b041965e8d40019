"""Gauntlet strategies: the common decision interface and the built-in strategies.

>>> from strategies import SmaCross
>>> SmaCross(fast=10, slow=50)
SmaCross(fast=10, slow=50, allow_short=True)
"""

from marketdata.frames import BarsError, validate_bars
from strategies import plugins
from strategies.base import InvalidParamsError, Strategy, StrategyOutputError, StrategyParams
from strategies.builtin import (
    BollingerReversion,
    DonchianBreakout,
    EmaCross,
    RsiReversion,
    SmaCross,
    VolTargetTrend,
)
from strategies.plugins import UnknownStrategyError, register

__all__ = [
    "BarsError",
    "BollingerReversion",
    "DonchianBreakout",
    "EmaCross",
    "InvalidParamsError",
    "RsiReversion",
    "SmaCross",
    "Strategy",
    "StrategyOutputError",
    "StrategyParams",
    "UnknownStrategyError",
    "VolTargetTrend",
    "plugins",
    "register",
    "validate_bars",
]
