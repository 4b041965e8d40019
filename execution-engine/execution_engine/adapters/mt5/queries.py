"""What the terminal holds, asked through the bridge: the execution client's reconciliation
reports, and the lookup of one order by its comment key (an in-doubt order).

Rows become reports in reconcile.py; this module chooses which rows to ask for and whose
they are. A row is this node's when it carries the node's magic and a key its intent journal
holds (the client order id comes from there); anything else is external. Reconciliation asks
for history since the command's start, else the last 7 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.identifiers import AccountId, ClientOrderId, InstrumentId, VenueOrderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency

from execution_engine.adapters.mt5 import keys, reconcile
from execution_engine.adapters.mt5.bridge import BridgeError, BridgeRequestError
from execution_engine.adapters.mt5.codes import ErrorCode, Op
from execution_engine.adapters.mt5.hub import Mt5BridgeHub
from execution_engine.adapters.mt5.intents import IntentJournal
from execution_engine.adapters.mt5.providers import Mt5InstrumentProvider, Spec, UnknownSymbolError

Row = Mapping[str, Any]
NS_PER_MS = 1_000_000
LOOKBACK_MS = 7 * 86_400_000  # history asked for when a command gives no start
SLACK_MS = 60_000  # around the times asked for: the terminal's clock may differ a little
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class KeyLookup:
    """Everything the terminal has under one key: active orders, history orders, deals."""

    active: list[Row]
    history: list[Row]
    deals: list[Row]

    @property
    def found(self) -> bool:
        return bool(self.active or self.history or self.deals)

    @property
    def ticket(self) -> int:
        """The order's ticket (0 when nothing was found)."""
        if self.active or self.history:
            return int((self.active or self.history)[0].get("ticket") or 0)
        return int(self.deals[0].get("order") or 0) if self.deals else 0


class TerminalQueries:
    """The execution client's questions to the terminal. `account_id` and the account's
    `currency` are the client's (the currency is known once the terminal answered)."""

    def __init__(
        self,
        hub: Mt5BridgeHub,
        provider: Mt5InstrumentProvider,
        journal: IntentJournal,
        *,
        magic: int,
        hedging: bool,
        now_ns: Callable[[], int],
        log_error: Callable[[str], None],
    ) -> None:
        self._hub = hub
        self._provider = provider
        self._journal = journal
        self._magic = magic
        self._hedging = hedging
        self._now_ns = now_ns
        self._log_error = log_error
        self.account_id: AccountId | None = None
        self.currency: Currency | None = None

    # --- one order by its key (bridge errors pass through: the order stays in doubt) ------
    async def by_key(self, key: str) -> KeyLookup:
        window = self.window(key)
        active = await self._ask(Op.ORDERS, "orders", {"comment": key})
        deals = await self._ask(Op.HISTORY_DEALS, "deals", {"comment": key, **window})
        history = []
        if not active:
            history = await self._ask(Op.HISTORY_ORDERS, "orders", {"comment": key, **window})
        return KeyLookup(active, history, deals)

    def window(self, key: str) -> dict[str, int]:
        """From the intent's time (else 7 days back) to now, with slack both sides."""
        intent = self._journal.by_key(key)
        now_ms = self._now_ns() // NS_PER_MS
        start = intent.ts_ns // NS_PER_MS if intent is not None else now_ms - LOOKBACK_MS
        return {"from_ms": start - SLACK_MS, "to_ms": now_ms + SLACK_MS}

    # --- reconciliation (a failed question is logged and answers nothing) -----------------
    async def order_status_report(
        self, client_order_id: ClientOrderId | None, venue_order_id: VenueOrderId | None
    ) -> OrderStatusReport | None:
        if client_order_id is not None:
            key = keys.comment_key(client_order_id.value)
            rows = await self._rows(Op.ORDERS, "orders", {"comment": key})
            rows = rows or await self._rows(
                Op.HISTORY_ORDERS, "orders", {"comment": key, **self.window(key)}
            )
        elif venue_order_id is not None and venue_order_id.value.isdigit():
            ticket = int(venue_order_id.value)
            active = await self._rows(Op.ORDERS, "orders", {})
            rows = [r for r in active if r.get("ticket") == ticket]
            rows = rows or await self._rows(Op.HISTORY_ORDERS, "orders", {"ticket": ticket})
        else:
            return None
        reports = await self._order_reports(rows)
        return reports[0] if reports else None

    async def order_status_reports(
        self, instrument_id: InstrumentId | None, start: dt.datetime | None, *, open_only: bool
    ) -> list[OrderStatusReport]:
        """Every active order (any magic: others are external), and this node's history
        orders since `start` (or 7 days)."""
        rows = await self._rows(Op.ORDERS, "orders", {})
        if not open_only:
            history = await self._rows(Op.HISTORY_ORDERS, "orders", self._since(start))
            rows += [r for r in history if self.client_order_id(r) is not None]
        reports = await self._order_reports(rows)
        return [r for r in reports if instrument_id is None or r.instrument_id == instrument_id]

    async def fill_reports(
        self,
        instrument_id: InstrumentId | None,
        venue_order_id: VenueOrderId | None,
        start: dt.datetime | None,
    ) -> list[FillReport]:
        args: dict[str, Any] = self._since(start)
        if venue_order_id is not None and venue_order_id.value.isdigit():
            args["order"] = int(venue_order_id.value)
        reports = []
        for deal in await self._rows(Op.HISTORY_DEALS, "deals", args):
            listed = self._listed(deal)
            if listed is None or not reconcile.is_trade(deal):
                continue
            instrument, spec = listed
            if instrument_id is None or instrument.id == instrument_id:
                reports.append(self._fill_report(deal, instrument, spec))
        return reports

    async def position_reports(
        self, instrument_id: InstrumentId | None
    ) -> list[PositionStatusReport]:
        rows = await self._rows(Op.POSITIONS, "positions", {})
        listed = {
            symbol: (self._provider.by_mt5_symbol(symbol), self._provider.spec(symbol))
            for symbol in self._provider.symbols()
        }
        reports = reconcile.position_status_reports(
            rows, listed, self._account(), self._now_ns(), hedging=self._hedging
        )
        return [r for r in reports if instrument_id is None or r.instrument_id == instrument_id]

    async def foreign_order_report(self, deal: Row) -> OrderStatusReport | None:
        """The order of a deal this node did not send (a stop loss, a take profit, a
        stop-out, a person's close), as NautilusTrader reconciles an external order; None
        when its symbol is not one of the node's or the terminal does not show the order."""
        listed = self._listed(deal)
        ticket = deal.get("order")
        if listed is None or not isinstance(ticket, int):
            return None
        rows = await self._rows(Op.HISTORY_ORDERS, "orders", {"ticket": ticket})
        rows = rows or [
            r for r in await self._rows(Op.ORDERS, "orders", {}) if r.get("ticket") == ticket
        ]
        if not rows:
            return None
        deals = await self._rows(Op.HISTORY_DEALS, "deals", {"order": ticket})
        instrument, spec = listed
        position = reconcile.position_id(deal.get("position_id")) if self._hedging else None
        return reconcile.order_status_report(
            rows[0], instrument, spec, self._account(), self._now_ns(),
            client_order_id=None, avg_px=reconcile.average_price(deals or [deal]),
            venue_position_id=position,
        )  # fmt: skip

    def client_order_id(self, row: Row) -> ClientOrderId | None:
        """This node's client order id of a row: its magic and a key in the journal."""
        if row.get("magic") != self._magic:
            return None
        key = keys.key_of(str(row.get("comment") or ""))
        intent = None if key is None else self._journal.by_key(key)
        return None if intent is None else ClientOrderId(intent.client_order_id)

    async def _order_reports(self, rows: list[Row]) -> list[OrderStatusReport]:
        reports = []
        for row in rows:
            listed = self._listed(row)
            if listed is None:
                continue
            instrument, spec = listed
            avg = None
            if _volume(row, "volume_initial") > _volume(row, "volume_current"):
                deals = await self._rows(Op.HISTORY_DEALS, "deals", {"order": row["ticket"]})
                avg = reconcile.average_price(deals)
            report = reconcile.order_status_report(
                row, instrument, spec, self._account(), self._now_ns(),
                client_order_id=self.client_order_id(row), avg_px=avg,
            )  # fmt: skip
            reports.append(report)
        return reports

    def _fill_report(self, deal: Row, instrument: Instrument, spec: Spec) -> FillReport:
        return reconcile.fill_report(
            deal, instrument, spec, self._account(),
            self.currency or instrument.quote_currency, self._now_ns(),
            client_order_id=self.client_order_id(deal), hedging=self._hedging,
        )  # fmt: skip

    async def _ask(self, op: Op, field: str, args: dict[str, Any]) -> list[Row]:
        """The rows of one query. A history answer too large for one bridge line (about 150
        orders) is asked again as two halves of its time window, and so on down, so a long
        history is read in pages; a window of one millisecond that is still too large fails."""
        try:
            data = await self._hub.request(op.value, args)
        except BridgeRequestError as exc:
            halves = _halves(args) if exc.code == ErrorCode.TOO_LARGE.value else None
            if halves is None:
                raise
            first, second = halves
            return await self._ask(op, field, first) + await self._ask(op, field, second)
        rows = data.get(field, [])
        return list(rows) if isinstance(rows, list) else []

    async def _rows(self, op: Op, field: str, args: dict[str, Any]) -> list[Row]:
        try:
            return await self._ask(op, field, args)
        except BridgeError as exc:
            self._log_error(f"{op.value} for reconciliation: {exc}")
            return []

    def _since(self, start: dt.datetime | None) -> dict[str, int]:
        now_ms = self._now_ns() // NS_PER_MS
        if start is None:
            return {"from_ms": now_ms - LOOKBACK_MS, "to_ms": now_ms + SLACK_MS}
        start_ms = (start - _EPOCH) // dt.timedelta(milliseconds=1)
        return {"from_ms": start_ms, "to_ms": now_ms + SLACK_MS}

    def _listed(self, row: Row) -> tuple[Instrument, Spec] | None:
        symbol = str(row.get("symbol"))
        try:
            return self._provider.by_mt5_symbol(symbol), self._provider.spec(symbol)
        except UnknownSymbolError:
            return None  # not one of this node's instruments

    def _account(self) -> AccountId:
        if self.account_id is None:
            raise ValueError("the queries have no account id yet")
        return self.account_id


def _volume(row: Row, field: str) -> Decimal:
    return Decimal(str(row.get(field, "0")))


def _halves(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """`args`' time window split in two (both ends inclusive, as the terminal selects), or
    None when it has no window or one that cannot be split."""
    start, end = args.get("from_ms"), args.get("to_ms")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return None
    middle = start + (end - start) // 2
    return {**args, "to_ms": middle}, {**args, "from_ms": middle + 1}
