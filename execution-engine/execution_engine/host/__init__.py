"""The NautilusTrader strategy that hosts Gauntlet strategies unchanged."""

from execution_engine.host.config import GauntletHostConfig
from execution_engine.host.records import HostRecords
from execution_engine.host.strategy import GauntletStrategyHost, HostSetupError

__all__ = ["GauntletHostConfig", "GauntletStrategyHost", "HostRecords", "HostSetupError"]
