"""Event-driven backtests of hosted Gauntlet strategies on NautilusTrader's BacktestEngine."""

from execution_engine.backtest.engine import EventRun, HostSpec, build_engine, run_backtest
from execution_engine.backtest.venue import VenueSpec

__all__ = ["EventRun", "HostSpec", "VenueSpec", "build_engine", "run_backtest"]
