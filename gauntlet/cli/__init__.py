"""`gauntlet` CLI entry point.

Command modules register themselves on `app` when imported. Heavy libraries (vectorbt,
NautilusTrader, MLflow) are imported inside the commands, so `gauntlet --help` and a
cached backtest stay fast.
"""

from gauntlet.cli.app import app, main

__all__ = ["app", "main"]
