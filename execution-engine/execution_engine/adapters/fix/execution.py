"""`FixExecutionClient`: NautilusTrader's live execution client on a FIX 4.4 session.

Orders go out as NewOrderSingle / OrderCancelRequest / OrderCancelReplaceRequest; the
venue's ExecutionReports and OrderCancelRejects come back through the shared session
(hub.py) onto the node's loop and become NautilusTrader order events. Reconciliation asks
the venue (OrderMassStatusRequest, OrderStatusRequest, RequestForPositions) and answers
with reconcile.py's reports.

ClOrdIDs: an order's ClOrdID IS its NautilusTrader ClientOrderId (1:1). NautilusTrader
generates that id from the trader, the strategy and the strategy's order count, and its
cache keeps it across restarts, so a restarted node asks the venue about the same id
instead of sending the order again. A cancel or a replace needs a ClOrdID of its own:
`<ClientOrderId>:C<n>` / `<ClientOrderId>:R<n>`, n the order's event count (so no two
requests of one order share one), and every report for it maps back to the order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import (
    GenerateFillReports,
    GenerateOrderStatusReport,
    GenerateOrderStatusReports,
    GeneratePositionStatusReports,
    ModifyOrder,
    SubmitOrder,
)
from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.enums import AccountType, LiquiditySide, OmsType, OrderStatus
from nautilus_trader.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import AccountBalance, Money
from nautilus_trader.model.orders import Order

from execution_engine.adapters.cancels import OneCancelPerOrder
from execution_engine.adapters.fix import reconcile
from execution_engine.adapters.fix.answers import VenueAnswers
from execution_engine.adapters.fix.clordid import order_cl_ord_id, request_cl_ord_id
from execution_engine.adapters.fix.codes import ExecType, OrdType, Side, TimeInForce
from execution_engine.adapters.fix.config import FIX_CLIENT, FixExecClientConfig
from execution_engine.adapters.fix.hub import FixSessionHub
from execution_engine.adapters.fix.messages import (
    CancelRequest,
    OrderRequest,
    new_order_single,
    order_cancel_replace,
    order_cancel_request,
    order_mass_status_request,
    order_status_request,
    request_for_positions,
)
from execution_engine.adapters.fix.providers import FIX_VENUE, FixInstrumentProvider, fix_symbol
from execution_engine.adapters.fix.reports import (
    BusinessMessageReject,
    ExecutionReport,
    OrderCancelReject,
    PositionReport,
    SessionReject,
    UnreadableMessage,
)
from execution_engine.adapters.fix.session import FixInitiator, FixSessionError
from execution_engine.adapters.fix.sinks import Inbound
from execution_engine.adapters.fix.wire import FixMessageError
from execution_engine.adapters.sandbox.providers import UnknownInstrumentError

# NautilusTrader → FIX codes: the inverse of reconcile.py's tables (the one owner of the pairs).
_SIDE = {nautilus: fix for fix, nautilus in reconcile.NAUTILUS_SIDE.items()}
_ORD_TYPE = {nautilus: fix for fix, nautilus in reconcile.NAUTILUS_ORDER_TYPE.items()}
_TIF = {nautilus: fix for fix, nautilus in reconcile.NAUTILUS_TIF.items()}
_NO_ORDER = "NONE"  # the OrderID a venue reports when it has no order to show
_UNTOLD_SIDE = Side.BUY  # OrderStatusRequest needs a Side; the simulator ignores it
_UNSENT = (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED)  # no NEW applied yet


def client_order_id_of(cl_ord_id: str) -> ClientOrderId:
    """The NautilusTrader order a ClOrdID belongs to (a cancel/replace id maps back)."""
    return ClientOrderId(order_cl_ord_id(cl_ord_id))


class FixExecutionClient(OneCancelPerOrder):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: FixExecClientConfig,
        hub: FixSessionHub,
    ) -> None:
        starting = Money.from_str(config.starting_balance)
        super().__init__(
            loop=loop,
            client_id=ClientId(FIX_CLIENT),
            venue=FIX_VENUE,
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=starting.currency,
            instrument_provider=FixInstrumentProvider(config.instruments),
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        self._venue = config.venue_config()
        self._node_state = Path(config.node_state)
        self._starting = starting
        self._timeout = config.request_timeout_seconds
        self._hub = hub
        self._answers = VenueAnswers()
        self._request_ids = itertools.count(1)
        self._applied_exec_ids: set[str] = set()
        self._fills: list[FillReport] = []  # fills seen this session, for reconciliation
        self.unknown_reports: list[ExecutionReport] = []  # for orders we do not know: kept
        self.overfills: list[ExecutionReport] = []  # fills beyond an order's leaves: flagged
        # Strategies halted by an overfill, with the reason: the venue and the node disagree
        # about what was traded, so new orders are refused until a person looks.
        self.halted_strategies: dict[StrategyId, str] = {}
        self.duplicate_fills: list[ExecutionReport] = []  # already applied: ignored
        # The ClOrdID the venue knows an order by now (a replace gives it a new one); an
        # order missing here is known by its ClientOrderId (OrigClOrdID of the next request).
        self._venue_cl_ord_ids: dict[ClientOrderId, str] = {}
        self._set_account_id(AccountId(f"{FIX_CLIENT}-{self._venue.account or 'MASTER'}"))

    @property
    def fix_session(self) -> FixInitiator:
        return self._hub.initiator

    # --- connection -----------------------------------------------------------------------
    async def _connect(self) -> None:
        provider = self._instrument_provider
        assert isinstance(provider, FixInstrumentProvider)  # our __init__ made it
        await provider.initialize()
        for instrument in provider.list_all():
            if self._cache.instrument(instrument.id) is None:
                self._cache.add_instrument(instrument)
        await self._hub.join(
            self._loop, self._venue, self._node_state, self._on_message, role="execution"
        )
        self._report_account()
        await self._await_account_registered()

    async def _disconnect(self) -> None:
        await self._hub.leave(self._on_message)

    def _report_account(self) -> None:
        zero = Money(0, self._starting.currency)
        balance = AccountBalance(total=self._starting, locked=zero, free=self._starting)
        now = self._clock.timestamp_ns()
        self.generate_account_state(balances=[balance], margins=[], reported=False, ts_event=now)

    # --- commands -------------------------------------------------------------------------
    async def _submit_order(self, command: SubmitOrder) -> None:
        order = command.order
        if (halted := self.halted_strategies.get(order.strategy_id)) is not None:
            self._reject(order, f"strategy {order.strategy_id} is halted: {halted}")
            return
        try:
            request = self._order_request(order, order.client_order_id.value)
        except (FixMessageError, KeyError) as exc:
            reason = f"cannot be sent on FIX: {exc}"
            self._reject(order, reason)
            return
        self.generate_order_submitted(
            order.strategy_id, order.instrument_id, order.client_order_id, self._now()
        )
        try:
            self.fix_session.send(new_order_single(request))
        except FixSessionError as exc:
            self._reject(order, str(exc))

    async def _cancel(self, order: Order) -> None:
        self._send_cancel(order)

    def _send_cancel(self, order: Order) -> None:
        cancel = CancelRequest(
            cl_ord_id=request_cl_ord_id(order.client_order_id.value, "C", order.event_count),
            orig_cl_ord_id=self._current_cl_ord_id(order),
            symbol=fix_symbol(order.instrument_id),
            side=_SIDE[order.side],
            quantity=order.quantity.as_decimal(),
            order_id=None if order.venue_order_id is None else order.venue_order_id.value,
        )
        try:
            self.fix_session.send(order_cancel_request(cancel))
        except FixSessionError as exc:
            self.generate_order_cancel_rejected(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                order.venue_order_id,
                str(exc),
                self._now(),
            )

    async def _modify_order(self, command: ModifyOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"modify of unknown order {command.client_order_id}")
            return
        try:
            request = self._order_request(
                order,
                request_cl_ord_id(order.client_order_id.value, "R", order.event_count),
                quantity=None if command.quantity is None else command.quantity.as_decimal(),
                price=None if command.price is None else command.price.as_decimal(),
                trigger=None
                if command.trigger_price is None
                else command.trigger_price.as_decimal(),
            )
            venue_id = None if order.venue_order_id is None else order.venue_order_id.value
            self.fix_session.send(
                order_cancel_replace(request, self._current_cl_ord_id(order), venue_id)
            )
        except (FixMessageError, FixSessionError, KeyError) as exc:
            self.generate_order_modify_rejected(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                order.venue_order_id,
                str(exc),
                self._now(),
            )

    def _order_request(
        self,
        order: Order,
        cl_ord_id: str,
        *,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        trigger: Decimal | None = None,
    ) -> OrderRequest:
        """`order`'s terms (changed where given) as a FIX request; KeyError for an order
        type or time in force FIX 4.4 orders here do not have (trailing stops, AT_THE_OPEN)."""
        ord_type = _ORD_TYPE[order.order_type]
        tif = _TIF[order.time_in_force]
        if order.has_price and price is None:
            price = order.price.as_decimal()  # priced orders have one
        if order.has_trigger_price and trigger is None:
            trigger = order.trigger_price.as_decimal()  # stop orders have one
        expire_ns = getattr(order, "expire_time_ns", 0)
        return OrderRequest(
            cl_ord_id=cl_ord_id,
            symbol=fix_symbol(order.instrument_id),
            side=_SIDE[order.side],
            quantity=quantity if quantity is not None else order.quantity.as_decimal(),
            ord_type=ord_type,
            time_in_force=tif,
            price=price if ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT) else None,
            stop_px=trigger if ord_type in (OrdType.STOP, OrdType.STOP_LIMIT) else None,
            expire_time=_utc(expire_ns) if tif is TimeInForce.GTD else None,
            account=self._venue.account,
        )

    def _current_cl_ord_id(self, order: Order) -> str:
        return str(self._venue_cl_ord_ids.get(order.client_order_id, order.client_order_id.value))

    def _reject(self, order: Order, reason: str) -> None:
        self._log.error(f"order {order.client_order_id} rejected: {reason}")
        self.generate_order_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id, reason, self._now()
        )

    # --- what the venue sends -------------------------------------------------------------
    def _on_message(self, message: Inbound) -> None:
        try:
            self._handle(message)
        except Exception as exc:  # one bad report must not stop the session's delivery
            self._log.exception(f"FIX message not applied: {message}", exc)

    def _handle(self, message: Inbound) -> None:
        if self._answers.offer(message):
            return
        if isinstance(message, ExecutionReport):
            self._on_execution_report(message)
        elif isinstance(message, OrderCancelReject):
            self._on_cancel_reject(message)
        elif isinstance(message, BusinessMessageReject | SessionReject):
            self._log.error(f"the venue rejected a message we sent: {message}")
        elif isinstance(message, UnreadableMessage):
            self._log.error(f"unreadable FIX message kept: {message.reason}: {message.raw!r}")
        elif isinstance(message, PositionReport):
            self._log.info(f"unrequested PositionReport: {message}")

    def _on_execution_report(self, report: ExecutionReport) -> None:
        order = self._cache.order(client_order_id_of(report.cl_ord_id))
        if order is None:
            self.unknown_reports.append(report)
            self._log.error(
                f"ExecutionReport {report.exec_id} for unknown ClOrdID {report.cl_ord_id} "
                f"(ExecType {report.exec_type.name}): kept, not applied"
            )
            return
        if report.header.poss_dup and _already_applied(order, report.exec_type):
            self._log.info(f"PossDup ExecutionReport {report.exec_id} already applied: ignored")
            return
        venue_id = VenueOrderId(report.order_id)
        ts = self._ts(report)
        ids = (order.strategy_id, order.instrument_id, order.client_order_id)
        kind = report.exec_type
        if kind is ExecType.NEW:
            self.generate_order_accepted(*ids, venue_id, ts)
        elif kind is ExecType.REJECTED:
            self.generate_order_rejected(*ids, report.text or "rejected by the venue", ts)
        elif kind is ExecType.TRADE:
            self._on_fill(order, report)
        elif kind is ExecType.CANCELED:
            self.generate_order_canceled(*ids, venue_id, ts)
        elif kind is ExecType.EXPIRED:
            self.generate_order_expired(*ids, venue_id, ts)
        elif kind is ExecType.REPLACED:
            self._on_replaced(order, report)
        else:
            self._log.debug(f"ExecutionReport {report.exec_id} ({kind.name}) needs no event")

    def _on_replaced(self, order: Order, report: ExecutionReport) -> None:
        self._venue_cl_ord_ids[order.client_order_id] = report.cl_ord_id
        instrument = self._instrument(order)
        quantity = report.order_qty if report.order_qty is not None else order.quantity.as_decimal()
        self.generate_order_updated(
            order.strategy_id,
            order.instrument_id,
            order.client_order_id,
            VenueOrderId(report.order_id),
            instrument.make_qty(quantity),
            None if report.price is None else instrument.make_price(report.price),
            None if report.stop_px is None else instrument.make_price(report.stop_px),
            self._ts(report),
        )

    def _on_fill(self, order: Order, report: ExecutionReport) -> None:
        if report.exec_id in self._applied_exec_ids or TradeId(report.exec_id) in order.trade_ids:
            self.duplicate_fills.append(report)
            dup = "PossDup " if report.header.poss_dup else ""
            self._log.warning(f"{dup}fill {report.exec_id} already applied: ignored")
            return
        if report.last_qty is None or report.last_px is None:
            self._log.error(f"fill {report.exec_id} without LastQty/LastPx: kept, not applied")
            self.unknown_reports.append(report)
            return
        leaves = order.leaves_qty.as_decimal()
        quantity = report.last_qty
        if quantity > leaves:
            self.overfills.append(report)
            reason = (
                f"fill {report.exec_id} of {quantity} exceeds the {leaves} left of order "
                f"{order.client_order_id}: only {leaves} applied"
            )
            self.halted_strategies.setdefault(order.strategy_id, reason)
            self._log.error(f"{reason}; strategy {order.strategy_id} halted")
            quantity = leaves
        self._applied_exec_ids.add(report.exec_id)
        if quantity <= 0:
            return
        self._apply_fill(order, report, quantity)

    def _apply_fill(self, order: Order, report: ExecutionReport, quantity: Decimal) -> None:
        instrument = self._instrument(order)
        assert report.last_px is not None  # _on_fill checked
        liquidity = reconcile.NAUTILUS_LIQUIDITY.get(
            report.last_liquidity or 0, LiquiditySide.NO_LIQUIDITY_SIDE
        )
        self.generate_order_filled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            venue_order_id=VenueOrderId(report.order_id),
            venue_position_id=None,
            trade_id=TradeId(report.exec_id),
            order_side=order.side,
            order_type=order.order_type,
            last_qty=instrument.make_qty(quantity),
            last_px=instrument.make_price(report.last_px),
            quote_currency=instrument.quote_currency,
            # FIX 4.4 Commission (12) is not sent by the simulator (reconcile.fill_report too)
            commission=Money(0, instrument.quote_currency),
            liquidity_side=liquidity,
            ts_event=self._ts(report),
        )
        self._fills.append(reconcile.fill_report(report, instrument, self.account_id, self._now()))

    def _on_cancel_reject(self, reject: OrderCancelReject) -> None:
        order = self._cache.order(client_order_id_of(reject.orig_cl_ord_id))
        if order is None:
            self._log.error(f"OrderCancelReject for unknown ClOrdID {reject.orig_cl_ord_id}")
            return
        reason = reject.text or f"CxlRejReason {reject.reason}"
        venue_id = None if reject.order_id == _NO_ORDER else VenueOrderId(reject.order_id)
        args = (order.strategy_id, order.instrument_id, order.client_order_id, venue_id)
        if reject.response_to == "2":
            self.generate_order_modify_rejected(*args, reason, self._now())
        else:
            self.generate_order_cancel_rejected(*args, reason, self._now())

    # --- reconciliation -------------------------------------------------------------------
    async def generate_order_status_report(
        self, command: GenerateOrderStatusReport
    ) -> OrderStatusReport | None:
        if command.client_order_id is None:
            self._log.warning("a FIX OrderStatusRequest needs the ClientOrderId")
            return None
        order = self._cache.order(command.client_order_id)
        return await self._order_status(
            command.client_order_id.value,
            _UNTOLD_SIDE if order is None else _SIDE[order.side],
            command.instrument_id or (None if order is None else order.instrument_id),
        )

    async def _order_status(
        self, cl_ord_id: str, side: Side, instrument_id: InstrumentId | None
    ) -> OrderStatusReport | None:
        symbol = fix_symbol(instrument_id) if instrument_id is not None else ""
        self._answers.expect_status(cl_ord_id)
        self.fix_session.send(order_status_request(cl_ord_id, symbol, side))
        answer = await self._answers.order_status(cl_ord_id, self._timeout)
        if answer is None or answer.order_id == _NO_ORDER:
            self._log.warning(f"the venue has no status for {cl_ord_id}: {answer and answer.text}")
            return None
        return self._status_report(answer)

    async def generate_order_status_reports(
        self, command: GenerateOrderStatusReports
    ) -> list[OrderStatusReport]:
        """The venue's open orders (mass status), then each order the cache holds open, in
        flight or INITIALIZED that the venue does not list, asked one by one (filled,
        canceled or never received while we were away)."""
        request_id = f"MS-{next(self._request_ids)}-{UUID4()}"
        self._answers.expect_collection(request_id, positions=False)
        self.fix_session.send(order_mass_status_request(request_id))
        answers, complete = await self._answers.collection(
            request_id, self._timeout, positions=False
        )
        if not complete:
            self._log.warning(f"mass status {request_id}: the last report did not come")
        reports = [
            self._status_report(a)
            for a in answers
            if isinstance(a, ExecutionReport) and a.order_id != _NO_ORDER
        ]
        listed = {r.client_order_id for r in reports}
        for order in self._held_orders():
            if order.client_order_id not in listed:
                report = await self._order_status(
                    order.client_order_id.value, _SIDE[order.side], order.instrument_id
                )
                reports += [] if report is None else [report]
        wanted = command.instrument_id
        return [r for r in reports if wanted is None or r.instrument_id == wanted]

    def _held_orders(self) -> list[Order]:
        """The cache's orders whose venue state start-up must learn: open ones; those in
        flight (SUBMITTED, PENDING_*: sent just before the node died, never acknowledged);
        and INITIALIZED ones: the Redis cache is written behind, so an order the node
        submitted (and the venue filled) may have been stored before its SUBMITTED event.
        One the venue does not know stays INITIALIZED: NautilusTrader's reconciliation
        leaves an INITIALIZED order alone (it resolves only open and in-flight ones) and
        never submits an order by itself; what to do with it is the strategy's (the churn
        child asks the venue, then decides again under a new ClOrdID)."""
        held: dict[ClientOrderId, Order] = {}
        for order in (
            self._cache.orders_open(venue=FIX_VENUE)
            + self._cache.orders_inflight(venue=FIX_VENUE)
            + [
                o
                for o in self._cache.orders(venue=FIX_VENUE)
                if o.status is OrderStatus.INITIALIZED
            ]
        ):
            held.setdefault(order.client_order_id, order)
        return list(held.values())

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        """The fills seen on this session (FIX 4.4 has no fill query the simulator answers:
        a restarted node learns its fills from the order status reports' filled quantity)."""
        return [
            f
            for f in self._fills
            if (command.instrument_id is None or f.instrument_id == command.instrument_id)
            and (command.venue_order_id is None or f.venue_order_id == command.venue_order_id)
        ]

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports
    ) -> list[PositionStatusReport]:
        account = self._venue.account
        if account is None:
            self._log.warning("no venue account configured: RequestForPositions not sent")
            return []
        request_id = f"POS-{next(self._request_ids)}-{UUID4()}"
        self._answers.expect_collection(request_id, positions=True)
        self.fix_session.send(request_for_positions(request_id, account))
        answers, complete = await self._answers.collection(
            request_id, self._timeout, positions=True
        )
        if not complete:
            self._log.warning(f"positions {request_id}: not every PositionReport came")
        reports: list[PositionStatusReport] = []
        for answer in answers:
            if not isinstance(answer, PositionReport) or answer.symbol is None:
                continue
            instrument = self._by_symbol(answer.symbol)
            if instrument is None:
                continue
            if command.instrument_id is None or instrument.id == command.instrument_id:
                reports.append(
                    reconcile.position_status_report(
                        answer, instrument, self.account_id, self._now()
                    )
                )
        return reports

    def _status_report(self, answer: ExecutionReport) -> OrderStatusReport:
        instrument = self._by_symbol(answer.symbol)
        if instrument is None:
            raise UnknownInstrumentError(f"FIX symbol {answer.symbol!r} is not configured")
        return reconcile.order_status_report(answer, instrument, self.account_id, self._now())

    # --- helpers --------------------------------------------------------------------------
    def _by_symbol(self, symbol: str) -> Instrument | None:
        provider = self._instrument_provider
        assert isinstance(provider, FixInstrumentProvider)
        try:
            return provider.by_fix_symbol(symbol)
        except UnknownInstrumentError as exc:
            self._log.error(str(exc))
            return None

    def _instrument(self, order: Order) -> Instrument:
        instrument = self._cache.instrument(order.instrument_id)
        if instrument is None:
            raise UnknownInstrumentError(f"instrument {order.instrument_id} is not in the cache")
        return instrument

    def _now(self) -> int:
        return int(self._clock.timestamp_ns())

    def _ts(self, report: ExecutionReport) -> int:
        moment = report.transact_time or report.header.sending_time
        return self._now() if moment is None else reconcile.epoch_ns(moment)


def _already_applied(order: Order, kind: ExecType) -> bool:
    """Whether the order's state already shows a report of this kind (a PossDup resend of
    one the node applied before a restart: the venue resends from the delivered mark)."""
    if kind is ExecType.NEW:
        return order.status not in _UNSENT
    if kind in (ExecType.CANCELED, ExecType.EXPIRED, ExecType.REJECTED):
        return bool(order.is_closed)
    return False  # fills have their trade id check; a replace is applied again harmlessly


def _utc(ns: int) -> dt.datetime:
    """UNIX nanoseconds → UTC datetime, exact to the microsecond (integer arithmetic)."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ns // 1_000)
