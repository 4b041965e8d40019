"""Open and closed trades and how a fill meets them: FIFO netting or hedging.

A netting account (hedgingEnabled false, the US FIFO rule) reduces the oldest opposite
trades first and opens a trade only with what is left; a hedging account opens a new trade
for every fill, so both directions coexist (closing is then by trade or by position).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from execution_engine.adapters.oanda.sim.wire import dec, money


@dataclass
class Trade:
    """One trade (OANDA's Trade): units are signed, positive long."""

    id: str
    instrument: str
    price: Decimal
    open_time: str
    initial_units: Decimal
    current_units: Decimal
    initial_margin: Decimal
    client_extensions: dict[str, str] | None = None
    realized_pl: Decimal = Decimal(0)
    closing_transaction_ids: list[str] = field(default_factory=list)
    close_time: str | None = None
    average_close_price: Decimal | None = None
    closed_units: Decimal = Decimal(0)
    take_profit_id: str | None = None
    stop_loss_id: str | None = None
    trailing_stop_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.current_units != 0

    @property
    def client_id(self) -> str | None:
        return None if self.client_extensions is None else self.client_extensions.get("id")

    def record_close(
        self, units: Decimal, price: Decimal, pl: Decimal, tid: str, time: str
    ) -> None:
        """`units` closed (signed like the trade) at `price` with realized `pl`."""
        total = self.closed_units + abs(units)
        previous = self.average_close_price or Decimal(0)
        self.average_close_price = (previous * self.closed_units + price * abs(units)) / total
        self.closed_units = total
        self.current_units -= units
        self.realized_pl += pl
        self.closing_transaction_ids.append(tid)
        if self.current_units == 0:
            self.close_time = time

    def to_json(self, unrealized: Decimal, margin: Decimal) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id, "instrument": self.instrument, "price": dec(self.price),
            "openTime": self.open_time, "state": "OPEN" if self.is_open else "CLOSED",
            "initialUnits": dec(self.initial_units),
            "initialMarginRequired": money(self.initial_margin),
            "currentUnits": dec(self.current_units), "realizedPL": money(self.realized_pl),
            "financing": "0.0000", "dividendAdjustment": "0.0000",
        }  # fmt: skip
        if self.is_open:
            body["unrealizedPL"] = money(unrealized)
            body["marginUsed"] = money(margin)
        else:
            body["closeTime"] = self.close_time
        if self.average_close_price is not None:
            body["averageClosePrice"] = dec(self.average_close_price.normalize())
        if self.closing_transaction_ids:
            body["closingTransactionIDs"] = list(self.closing_transaction_ids)
        if self.client_extensions:
            body["clientExtensions"] = dict(self.client_extensions)
        return body


class TradeBook:
    """All trades by id, open ones in opening order."""

    def __init__(self) -> None:
        self.trades: dict[str, Trade] = {}

    def add(self, trade: Trade) -> None:
        self.trades[trade.id] = trade

    def open_trades(self, instrument: str | None = None) -> list[Trade]:
        return [
            trade
            for trade in self.trades.values()
            if trade.is_open and (instrument is None or trade.instrument == instrument)
        ]

    def find(self, specifier: str) -> Trade | None:
        """A trade by id or by `@<clientExtensions.id>`."""
        if specifier.startswith("@"):
            wanted = specifier[1:]
            return next((t for t in self.trades.values() if t.client_id == wanted), None)
        return self.trades.get(specifier)

    def reducible(self, instrument: str, units: Decimal) -> list[Trade]:
        """The open trades a fill of `units` reduces, oldest first (the opposite side)."""
        return [t for t in self.open_trades(instrument) if (t.current_units > 0) != (units > 0)]

    def net_units(self, instrument: str) -> Decimal:
        return sum((t.current_units for t in self.open_trades(instrument)), Decimal(0))

    def side_units(self, instrument: str) -> tuple[Decimal, Decimal]:
        """(long units, short units as a negative number) of the instrument's open trades."""
        long = sum(
            (t.current_units for t in self.open_trades(instrument) if t.current_units > 0),
            Decimal(0),
        )
        short = sum(
            (t.current_units for t in self.open_trades(instrument) if t.current_units < 0),
            Decimal(0),
        )
        return long, short
