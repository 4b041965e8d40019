"""What the execution client asks OANDA to reconcile with, as NautilusTrader's reports
(reconcile.py builds them): one order by specifier, the pending orders and those the
transactions since the node's last applied one touched, those transactions' fills, and the
positions (netting) or open trades (hedging).

`resume_from` is the last transaction the node applied before it started (ledger.py): a
restarted node is told exactly what happened while it was down, nothing it already knew
(on a hedging account, also the fills that opened the trades still open: each is a
position NautilusTrader rebuilds from its fill).
"""

from __future__ import annotations

from collections.abc import Callable

from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.identifiers import AccountId, ClientOrderId, InstrumentId, VenueOrderId
from nautilus_trader.model.objects import Currency

from execution_engine.adapters.oanda import reconcile
from execution_engine.adapters.oanda.hub import OandaHub
from execution_engine.adapters.oanda.providers import OandaInstrumentProvider
from execution_engine.adapters.oanda.v20 import models
from execution_engine.adapters.oanda.v20.errors import NotFound

# The node's venue order id of one of its orders (a replaced order keeps its first).
KnownVenueId = Callable[[ClientOrderId], VenueOrderId | None]


class AccountQueries:
    """The execution client's reconciliation reads of one account (module docstring)."""

    def __init__(
        self,
        hub: OandaHub,
        provider: OandaInstrumentProvider,
        known_venue_id: KnownVenueId,
        now_ns: Callable[[], int],
        *,
        hedging: bool,
    ) -> None:
        self._hub = hub
        self._provider = provider
        self._known_venue_id = known_venue_id
        self._now = now_ns
        self._hedging = hedging
        self.account_id = AccountId("OANDA-unknown")  # set once the hub knows the account
        self.currency = Currency.from_str("USD")  # the account's, once OANDA answers
        self.resume_from: str | None = None

    async def order_report(
        self, specifier: str, client_id: ClientOrderId | None
    ) -> OrderStatusReport | None:
        """The order `specifier` (an id or `@<client order id>`) names, or None."""
        try:
            found = await self._hub.client.order(self._hub.account_id, specifier)
        except NotFound:
            return None
        return await self._report(found, client_id)

    async def order_reports(
        self, instrument_id: InstrumentId | None, *, open_only: bool
    ) -> list[OrderStatusReport]:
        """Pending orders, and (not open_only) the orders touched since `resume_from`."""
        client, account = self._hub.client, self._hub.account_id
        found = {o.id: o for o in await client.orders(account, state="PENDING")}
        if not open_only:
            for order_id in await self._touched_since():
                if order_id not in found:
                    try:
                        found[order_id] = await client.order(account, order_id)
                    except NotFound:
                        continue
        reports = []
        for order in found.values():
            report = await self._report(order)
            if report is None or (report.client_order_id is None and order.state != "PENDING"):
                continue  # an external order that is done: its fill reconciles the position
            if instrument_id is None or report.instrument_id == instrument_id:
                reports.append(report)
        return reports

    async def fill_reports(
        self, instrument_id: InstrumentId | None, venue_order_id: VenueOrderId | None
    ) -> list[FillReport]:
        """The ORDER_FILLs since `resume_from`."""
        reports = []
        for transaction in await self._since_resume():
            name = transaction.instrument
            if transaction.type != "ORDER_FILL" or name not in self._provider.names():
                continue
            instrument = self._provider.by_name(str(name))
            if instrument_id is not None and instrument.id != instrument_id:
                continue
            if venue_order_id is not None and venue_order_id.value != transaction.order_id:
                continue
            reports.append(
                reconcile.fill_report(
                    transaction,
                    instrument,
                    self.account_id,
                    self.currency,
                    self._now(),
                    hedging=self._hedging,
                )
            )
        return reports

    async def position_reports(
        self, instrument_id: InstrumentId | None
    ) -> list[PositionStatusReport]:
        client, account = self._hub.client, self._hub.account_id
        positions = [] if self._hedging else await client.open_positions(account)
        trades = await client.open_trades(account) if self._hedging else []
        listed = {name: self._provider.by_name(name) for name in self._provider.names()}
        reports = reconcile.position_status_reports(
            positions, trades, listed, self.account_id, self._now(), hedging=self._hedging
        )
        return [r for r in reports if instrument_id in (None, r.instrument_id)]

    async def transaction(self, transaction_id: str) -> models.Transaction | None:
        listed = await self._hub.client.transactions_range(
            self._hub.account_id, transaction_id, transaction_id
        )
        return listed[0] if listed else None

    async def _report(
        self, found: models.Order, client_id: ClientOrderId | None = None
    ) -> OrderStatusReport | None:
        if found.instrument is None or found.instrument not in self._provider.names():
            return None
        instrument = self._provider.by_name(found.instrument)
        avg_px = None
        expired = False
        if found.filling_transaction_id:
            fill = await self.transaction(found.filling_transaction_id)
            avg_px = None if fill is None else fill.price
        if found.cancelling_transaction_id and found.time_in_force in ("GTD", "GFD"):
            cancel = await self.transaction(found.cancelling_transaction_id)
            expired = cancel is not None and cancel.reason == "TIME_IN_FORCE_EXPIRED"
        client_id = client_id or reconcile.client_order_id(found.client_extensions)
        return reconcile.order_status_report(
            found, instrument, self.account_id, self._now(), client_id=client_id,
            venue_order_id=None if client_id is None else self._known_venue_id(client_id),
            avg_px=avg_px, expired=expired,
        )  # fmt: skip

    async def _since_resume(self) -> list[models.Transaction]:
        """The transactions since `resume_from`; on a hedging account also the fills that
        opened the trades still open (NautilusTrader rebuilds a hedging position from its
        fills, it does not create one from a position report)."""
        found: dict[str, models.Transaction] = {}
        if self.resume_from is not None:
            since = await self._hub.client.transactions_since(
                self._hub.account_id, self.resume_from
            )
            found.update((t.id, t) for t in since)
        if self._hedging:
            for trade in await self._hub.client.open_trades(self._hub.account_id):
                if trade.id not in found:  # a trade's id is its opening fill's
                    opening = await self.transaction(trade.id)
                    if opening is not None:
                        found[opening.id] = opening
        return sorted(found.values(), key=lambda t: int(t.id))

    async def _touched_since(self) -> list[str]:
        touched = [
            t.order_id
            for t in await self._since_resume()
            if t.type in ("ORDER_FILL", "ORDER_CANCEL") and t.order_id
        ]
        return list(dict.fromkeys(touched))
