"""Event-driven backtests of hosted Gauntlet strategies on NautilusTrader's BacktestEngine."""

from execution_engine.backtest.engine import EventRun, build_engine, run_backtest
from execution_engine.backtest.venue import VenueConfig

__all__ = ["EventRun", "VenueConfig", "build_engine", "run_backtest"]
