"""A simulated terminal under test: a TerminalEngine with a hand-driven clock, every event it
emits recorded, and short ways to send trade requests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from execution_engine.adapters.mt5.codes import Event
from execution_engine.adapters.mt5.keys import comment_key
from execution_engine.adapters.mt5.sim.config import EngineConfig
from execution_engine.adapters.mt5.sim.engine import TerminalEngine

T0 = 1_764_547_200_000  # 2025-12-01 00:00 UTC, a Monday


class Sim:
    def __init__(self, config: EngineConfig | None = None) -> None:
        self.now = T0 + 10 * 3_600_000  # 10:00 UTC
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.engine = TerminalEngine(
            config or EngineConfig(),
            emit=lambda event, data: self.events.append((event, data)),
            clock_ms=lambda: self.now,
        )

    def tick(self, bid: str, ask: str, symbol: str = "EURUSD", advance_ms: int = 1) -> None:
        self.now += advance_ms
        self.engine.push_tick(symbol, Decimal(bid), Decimal(ask), self.now)

    def send(self, **request: Any) -> dict[str, Any]:
        return self.engine.handle("order_send", {"request": request})

    def market(
        self, kind: str, volume: str = "0.10", symbol: str = "EURUSD", **extra: Any
    ) -> dict[str, Any]:
        """A market deal at the current price (deviation 10 points)."""
        tick = self.engine.handle("tick", {"symbol": symbol})["tick"]
        price = tick[3] if kind == "ORDER_TYPE_BUY" else tick[2]
        request = {
            "action": "TRADE_ACTION_DEAL",
            "symbol": symbol,
            "type": kind,
            "volume": volume,
            "price": price,
            "deviation": 10,
            "type_filling": "ORDER_FILLING_FOK",
            "magic": 7,
            **extra,
        }
        return self.send(**request)

    def buy(self, volume: str = "0.10", **extra: Any) -> dict[str, Any]:
        return self.market("ORDER_TYPE_BUY", volume, **extra)

    def sell(self, volume: str = "0.10", **extra: Any) -> dict[str, Any]:
        return self.market("ORDER_TYPE_SELL", volume, **extra)

    def pending(self, kind: str, price: str, volume: str = "0.10", **extra: Any) -> dict[str, Any]:
        request = {
            "action": "TRADE_ACTION_PENDING",
            "symbol": "EURUSD",
            "type": kind,
            "volume": volume,
            "price": price,
            "type_filling": "ORDER_FILLING_FOK",
            "magic": 7,
            **extra,
        }
        return self.send(**request)

    def positions(self, **filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.engine.handle("positions", filters)["positions"]
        return rows

    def orders(self, **filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.engine.handle("orders", filters)["orders"]
        return rows

    def history_orders(self, **filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.engine.handle("history_orders", filters)["orders"]
        return rows

    def deals(self, **filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.engine.handle("history_deals", filters)["deals"]
        return rows

    def account(self) -> dict[str, Any]:
        return self.engine.handle("account_info", {})

    def transactions(self) -> list[str]:
        return [
            data["type"].removeprefix("TRADE_TRANSACTION_")
            for event, data in self.events
            if event == Event.TRANSACTION
        ]

    def of(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]


def key(name: str) -> str:
    return comment_key(name)


@pytest.fixture
def sim() -> Sim:
    """A netting MT5 account with EURUSD at 1.10000/1.10010 and USDJPY at 150.000/150.020."""
    s = Sim()
    s.tick("1.10000", "1.10010")
    s.tick("150.000", "150.020", symbol="USDJPY")
    return s


@pytest.fixture
def hedging() -> Sim:
    s = Sim(EngineConfig(margin_mode="ACCOUNT_MARGIN_MODE_RETAIL_HEDGING"))
    s.tick("1.10000", "1.10010")
    s.tick("150.000", "150.020", symbol="USDJPY")
    return s
