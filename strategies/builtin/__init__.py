"""Built-in strategies; importing this package registers them."""

from strategies.builtin.crossover import EmaCross, SmaCross
from strategies.builtin.reversion import BollingerReversion, RsiReversion
from strategies.builtin.trend import DonchianBreakout, VolTargetTrend

__all__ = [
    "BollingerReversion",
    "DonchianBreakout",
    "EmaCross",
    "RsiReversion",
    "SmaCross",
    "VolTargetTrend",
]
