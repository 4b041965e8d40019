"""Configuration of the SIM venue's live clients (NautilusTrader configs: serializable)."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.adapters.sandbox.config import SandboxExecutionClientConfig
from nautilus_trader.config import LiveDataClientConfig

from execution_engine.adapters.sandbox.providers import SIM_VENUE

# The node's names for the clients: data clients by client id, execution clients by venue.
REPLAY_CLIENT = "REPLAY"
SANDBOX_CLIENT = SIM_VENUE.value


class ReplayDataClientConfig(LiveDataClientConfig, frozen=True):
    """Nothing to configure: what to replay (a `ReplayFeed`) is not serializable, so the
    factory is bound to it instead (factories.replay_data_client_factory)."""


def sandbox_exec_config(
    currency: str, cash: float, leverage: Decimal = Decimal(50)
) -> SandboxExecutionClientConfig:
    """A margin account on SIM in `currency`, starting with `cash`."""
    return SandboxExecutionClientConfig(
        venue=SIM_VENUE.value,
        starting_balances=[f"{cash} {currency}"],
        base_currency=currency,
        default_leverage=leverage,
    )
