"""The real-time state records: what Redis holds (one JSON value per key) and the dashboard receives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Record(BaseModel):
    # pydantic's JSON keeps Decimals as exact strings, so prices survive the round trip unchanged.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Quote(_Record):
    instrument: str
    bid: Decimal
    ask: Decimal
    ts: AwareDatetime


class Position(_Record):
    strategy: str
    instrument: str
    quantity: Decimal  # signed; negative is short
    avg_price: Decimal
    updated_at: AwareDatetime


class ComponentStatus(_Record):
    kind: Literal["strategy", "agent"]
    name: str
    status: str
    detail: dict[str, Any] = Field(default_factory=dict)
    updated_at: AwareDatetime


class Update(_Record):
    """One message on the dashboard channel."""

    kind: Literal["quote", "position", "status", "heartbeat"]
    key: str
    data: dict[str, Any]
