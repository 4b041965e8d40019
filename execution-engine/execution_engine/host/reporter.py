"""The host's reporter: every event the host records (orders, fills, marks, problems), with
its timestamp, in `HostRecords`; problems are also logged as warnings.

Events are the reporting boundary: money in them is a float (JSON, the journal, the
dashboard), never read back into sizing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from nautilus_trader.model.events import OrderCanceled, OrderDenied, OrderFilled, OrderRejected

from execution_engine.host.records import HostRecords


class HostReporter:
    """Writes the host's events. `now` and `warn` are the strategy's clock and log, read
    at each call (NautilusTrader gives a strategy its clock only once it is registered)."""

    def __init__(
        self,
        records: HostRecords,
        instruments: list[str],
        now: Callable[[], int],
        warn: Callable[[str], None],
    ) -> None:
        self.records = records
        self._instruments = instruments
        self._now = now
        self._warn = warn

    def problem(self, kind: str, col: int | None, message: str) -> None:
        """Something the host did not trade, and why (bad target, zero quantity, ...)."""
        instrument = None if col is None else self._instruments[col]
        self._warn(f"{kind}: {instrument or ''} {message}")
        self.records.emit(
            {"kind": kind, "ts": self._now(), "instrument": instrument, "message": message}
        )

    def denied(self, client_order_id: str, col: int, reason: str) -> None:
        """An order the host refused itself, reported exactly like a risk-engine denial."""
        self.records.emit(
            {
                "kind": "denied",
                "ts": self._now(),
                "client_order_id": client_order_id,
                "instrument": self._instruments[col],
                "reason": reason,
            }
        )

    def order(
        self,
        client_order_id: str,
        col: int,
        side: str,
        quantity: str,
        target: float,
        bar: int,
        price: Decimal,
        reason: str = "target",
        limited: bool = False,
    ) -> None:
        """An order sent: `reason` is why ("target", "rebalance" or "stop_out", ADR 0002
        §12-§13), `limited` whether the cash or the initial margin cut it."""
        self.records.emit(
            {
                "kind": "order",
                "ts": self._now(),
                "client_order_id": client_order_id,
                "instrument": self._instruments[col],
                "side": side,
                "quantity": quantity,
                "target": target,
                "bar": bar,
                # The price the order was sized at (the backtest's fill reference): realized
                # slippage is the fill's distance from it (research.promotion.paper_record).
                "price": float(price),
                "reason": reason,
                "limited": limited,
            }
        )

    def margin_event(self, kind: str, bar: int, level: Decimal) -> None:
        """A margin call or a stop-out at bar `bar`'s close, with the margin level (%)."""
        message = f"margin level {level:.2f}% at bar {bar}"
        self._warn(f"{kind}: {message}")
        self.records.emit(
            {"kind": kind, "ts": self._now(), "bar": bar, "level": float(level), "message": message}
        )

    def fill(self, event: OrderFilled) -> None:
        self.records.emit(
            {
                "kind": "fill",
                "ts": event.ts_event,
                "client_order_id": event.client_order_id.value,
                "instrument": event.instrument_id.value,
                "side": event.order_side.name,
                "quantity": float(event.last_qty),
                "price": event.last_px.as_double(),
                "commission": event.commission.as_double(),
            }
        )

    def order_closed(
        self, kind: str, event: OrderRejected | OrderDenied | OrderCanceled, reason: str
    ) -> None:
        """A rejected, denied or canceled order. The instrument is recorded too, so a report
        names what was not traded without a lookup of the order (the client order id is not
        unique across strategies)."""
        client_order_id = event.client_order_id.value
        instrument = event.instrument_id.value
        self._warn(f"order {client_order_id} ({instrument}) {kind}: {reason}")
        self.records.emit(
            {
                "kind": kind,
                "ts": self._now(),
                "client_order_id": client_order_id,
                "instrument": instrument,
                "reason": reason,
            }
        )

    def mark(
        self,
        open_ns: int,
        equity: Decimal | None,
        positions: list[float],
        level: Decimal | None = None,
    ) -> None:
        """The account at a bar's close (equity NaN while the venue has no account) and its
        margin level (NaN while no margin is used)."""
        value = float("nan") if equity is None else float(equity)
        records = self.records
        records.times_ns.append(open_ns)
        records.equity.append(value)
        records.positions.append(positions)
        records.margin_level.append(float("nan") if level is None else float(level))
        if records.listeners:  # live runs report P&L as it happens; backtests read lists
            records.emit(
                {
                    "kind": "mark",
                    "bar_time": open_ns,
                    "equity": value,
                    "positions": positions,
                    "margin_level": None if level is None else float(level),  # JSON: null
                }
            )
