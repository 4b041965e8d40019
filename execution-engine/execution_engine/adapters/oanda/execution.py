"""`OandaExecutionClient`: NautilusTrader's live execution client on an OANDA v20 account.

Orders go out as v20 order requests (translate.py) with the client order id in
`clientExtensions.id`. The account's transaction stream is the one source of what happened
to them, applied in id order and each transaction once (by id, across the stream, its
reconnects and `sinceid` fetches): the create transaction accepts an order, ORDER_FILL fills
it (the fill's transaction id is the trade id), ORDER_CANCEL cancels it (expires it when a
GTD/GFD order's time ran out; rejects a market order OANDA cancelled unfilled, with OANDA's
reason), *_ORDER_REJECT rejects it. An answer to a create is applied at once for its create
(accepted) and as a check on the stream: if the stream has not shown the answer's fill or
cancel within a moment, the missing transactions are fetched with `sinceid`. A gap in the
stream's ids is fetched the same way before the transaction after it is applied, and while
the stream is down (an error its own reconnects did not cure) transactions are polled with
`sinceid` every second until it is opened again.

- A rejected order (HTTP 400 with an *_ORDER_REJECT) is rejected with OANDA's rejectReason
  and its meaning ("INSUFFICIENT_MARGIN: not enough margin available for the order").
- An order whose answer was lost (the connection dropped after it left) is IN DOUBT: it is
  looked up as `@<client order id>` before anything is sent again; found, the lookup tells
  its state; not found, it never arrived and is sent again once.
- A modify is OANDA's replace: the order is cancelled and a new one (a new order id) takes
  its place; the node's order stays the same order, its venue order id updated.
- Reconciliation: pending orders, and the fills and orders of every transaction since the
  last one this node applied (persisted in its state folder, ledger.py); positions from
  open positions (netting) or open trades (hedging: each trade its own position).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.execution.messages import (
    GenerateFillReports,
    GenerateOrderStatusReport,
    GenerateOrderStatusReports,
    GeneratePositionStatusReports,
    ModifyOrder,
    SubmitOrder,
)
from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.enums import AccountType, LiquiditySide, OmsType, OrderType, TimeInForce
from nautilus_trader.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    TradeId,
    Venue,
    VenueOrderId,
)
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import AccountBalance, Currency, Money
from nautilus_trader.model.orders import Order

from execution_engine.adapters.cancels import OneCancelPerOrder
from execution_engine.adapters.oanda import reconcile
from execution_engine.adapters.oanda.config import OANDA_CLIENT, OandaExecClientConfig
from execution_engine.adapters.oanda.hub import EXECUTION, OandaConnectError, OandaHub
from execution_engine.adapters.oanda.ledger import LastTransaction
from execution_engine.adapters.oanda.providers import UnknownInstrumentError
from execution_engine.adapters.oanda.queries import AccountQueries
from execution_engine.adapters.oanda.translate import (
    OrderRefusedError,
    order_request,
    replace_request,
)
from execution_engine.adapters.oanda.v20 import models
from execution_engine.adapters.oanda.v20.errors import (
    NotFound,
    OrderRejected,
    V20Error,
    V20TransportError,
    describe_reject,
)
from execution_engine.adapters.oanda.v20.streams import TransactionStream
from execution_engine.adapters.told import Told

# How long the stream may take to show an answer's transactions before they are fetched.
_STREAM_GRACE_SECONDS = 0.5
_RETRY_SECONDS = 5.0  # after a transaction stream error reconnecting did not cure
_POLL_SECONDS = 1.0  # sinceid polls meanwhile
_APPLIED_KEPT = 100_000  # transaction ids remembered as applied (a long session's bound)
_EXPIRING_TIF = (TimeInForce.GTD, TimeInForce.DAY)
_REPLACED = ("CLIENT_REQUEST_REPLACED", "REPLACEMENT")


def reject_text(reason: str, message: str = "") -> str:
    """ "<rejectReason>: <what it means>" and OANDA's own message when it says more."""
    text = f"{reason}: {describe_reject(reason)}"
    said = " ".join(message.split())
    return f"{text} ({said})" if said and said.lower() not in text.lower() else text


class OandaExecutionClient(OneCancelPerOrder):
    """Orders, their events and reconciliation on one OANDA account (the module says how)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: OandaExecClientConfig,
        hub: OandaHub,
    ) -> None:
        venue_config = config.venue_config()
        venue = Venue(venue_config.venue)
        self._hedging = venue_config.hedging
        self._provider = hub.provider(config.instruments, venue)
        super().__init__(
            loop=loop,
            client_id=ClientId(OANDA_CLIENT),
            venue=venue,
            oms_type=OmsType.HEDGING if self._hedging else OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=None,  # the account's currency is known once OANDA answers
            instrument_provider=self._provider,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        self._venue = venue_config
        self._hub = hub
        self._ledger = LastTransaction(Path(config.state_path))
        self._resume_from: str | None = None  # the ledger's id when the node started
        self._currency: Currency | None = None
        self._told = Told()
        self._applied: set[str] = set()  # transaction ids applied
        self._stream_last = 0  # the highest transaction id the stream (or a fetch) gave
        self._orders_of: dict[str, ClientOrderId] = {}  # OANDA order id → the node's order
        self._current: dict[ClientOrderId, str] = {}  # the node's order → its OANDA id now
        self._first: dict[ClientOrderId, str] = {}  # → its first OANDA id (the node's)
        self._stream_task: asyncio.Task[Any] | None = None
        self._stream: TransactionStream | None = None  # the one the task reads now
        self._catching_up = asyncio.Lock()
        self._account_refresh: asyncio.TimerHandle | None = None
        self.sinceid_fetches = 0
        self._queries = AccountQueries(
            hub, self._provider, self._known_venue_id, self._now, hedging=self._hedging
        )

    def status(self) -> dict[str, Any]:
        """For the live session's status: the account, the stream's progress (JSON values)."""
        return {
            "connected": self._stream_task is not None and not self._stream_task.done(),
            "account": self._hub.account_id if self._resume_from is not None else None,
            "last_transaction_id": self._ledger.id,
            "sinceid_fetches": self.sinceid_fetches,
        }

    # --- connection -----------------------------------------------------------------------
    async def _connect(self) -> None:
        client = await self._hub.join(self._venue, EXECUTION)
        try:
            account = self._hub.account_id
            self._set_account_id(AccountId(f"{self._venue.venue}-{account}"))
            await self._provider.initialize()
            for instrument in self._provider.list_all():
                if self._cache.instrument(instrument.id) is None:
                    self._cache.add_instrument(instrument)
            summary = await client.account_summary(account)
        except (V20Error, V20TransportError) as exc:
            await self._hub.leave(EXECUTION)
            raise OandaConnectError(f"OANDA {self._venue.endpoint_text}: {exc}") from None
        except BaseException:
            await self._hub.leave(EXECUTION)
            raise
        self._check_hedging(summary.account)
        self._currency = Currency.from_str(summary.account.currency)
        self._resume_from = self._ledger.id or summary.last_transaction_id
        self._queries.resume_from = self._resume_from
        self._queries.account_id = self.account_id
        self._queries.currency = self._currency
        self._stream_last = int(summary.last_transaction_id)
        self._report_account(summary.account)
        await self._reopen_stream()
        await self._await_account_registered()

    async def _disconnect(self) -> None:
        await self._close_stream()
        if self._account_refresh is not None:
            self._account_refresh.cancel()
        await self._hub.leave(EXECUTION)

    def _check_hedging(self, account: models.AccountSummary) -> None:
        if account.hedging_enabled != self._hedging:
            said = "hedging" if account.hedging_enabled else "netting (FIFO)"
            raise OandaConnectError(
                f"the OANDA account {account.id} is {said}, the venue config says hedging = "
                f"{str(self._hedging).lower()}: set it to match the account"
            )

    def _report_account(self, account: models.AccountSummary) -> None:
        """Balance as NautilusTrader's total, margin used as locked (free is what is left)."""
        currency = self._currency
        if currency is None:
            return
        self.generate_account_state(
            balances=[account_balance(account.balance, account.margin_used, currency)],
            margins=[],
            reported=True,
            ts_event=self._now(),
        )

    def _refresh_account_soon(self) -> None:
        """The balance after fills, read once for a burst of them."""
        if self._account_refresh is None:
            self._account_refresh = self._loop.call_later(
                0.2, lambda: self.create_task(self._refresh_account())
            )

    async def _refresh_account(self) -> None:
        self._account_refresh = None
        try:
            summary = await self._hub.client.account_summary(self._hub.account_id)
        except (V20Error, V20TransportError) as exc:
            self._log.warning(f"account not refreshed: {exc}")
            return
        self._report_account(summary.account)

    # --- the transaction stream -------------------------------------------------------------
    async def _reopen_stream(self) -> None:
        """(Re)open the transaction stream from the last transaction it gave, and wait (a
        request timeout at most) until OANDA answers it."""
        await self._close_stream()
        stream = self._new_stream()
        self._stream = stream
        self._stream_task = self.create_task(self._consume(stream))
        try:
            await stream.wait_connected(self._venue.request_timeout_seconds)
        except TimeoutError:
            self._log.warning("the transaction stream has not answered yet; it keeps trying")

    def _stream_connections(self) -> tuple[int, int]:
        """Which stream the task reads and how often it has reconnected: changed when the
        stream was opened again."""
        stream = self._stream
        return (0, 0) if stream is None else (id(stream), stream.reconnects)

    async def _close_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _new_stream(self) -> TransactionStream:
        return self._hub.client.transaction_stream(
            self._hub.account_id, heartbeat_interval=self._venue.heartbeat_seconds,
            since=str(self._stream_last),
        )  # fmt: skip

    async def _consume(self, stream: TransactionStream) -> None:
        while True:
            try:
                async for transaction in stream:
                    await self._on_streamed(transaction)
            except (V20Error, V20TransportError) as exc:
                self._log.error(
                    f"transaction stream: {exc}; polled with sinceid every "
                    f"{_POLL_SECONDS:g} s, opened again in {_RETRY_SECONDS:g} s"
                )
            await self._poll_while_down()
            stream = self._stream = self._new_stream()

    async def _poll_while_down(self) -> None:
        """Until the stream is tried again: the transactions fetched every second, so
        fills, expiries and triggers still reach the node while it is down."""
        loop = asyncio.get_running_loop()
        until = loop.time() + _RETRY_SECONDS
        while loop.time() < until:
            await asyncio.sleep(_POLL_SECONDS)
            await self._catch_up()

    async def _on_streamed(self, transaction: models.Transaction) -> None:
        number = int(transaction.id)
        if number > self._stream_last + 1:  # ids left out: fetched before this one applies
            await self._catch_up()
        self._stream_last = max(self._stream_last, number)
        self._apply(transaction)

    async def _catch_up(self) -> None:
        """Every transaction after the last the stream gave, fetched and applied in order."""
        async with self._catching_up:
            since = str(self._stream_last)
            try:
                self.sinceid_fetches += 1
                missed = await self._hub.client.transactions_since(self._hub.account_id, since)
            except (V20Error, V20TransportError) as exc:
                self._log.warning(f"transactions since {since} not fetched: {exc}")
                return
            for transaction in missed:
                self._stream_last = max(self._stream_last, int(transaction.id))
                self._apply(transaction)

    def _check_stream_soon(self, transactions: list[models.Transaction]) -> None:
        """After an answer: its transactions through the stream, else fetched."""
        wanted = [t.id for t in transactions if t.id not in self._applied]
        if wanted:
            self._loop.call_later(_STREAM_GRACE_SECONDS, self._check_stream, wanted)

    def _check_stream(self, wanted: list[str]) -> None:
        if any(transaction_id not in self._applied for transaction_id in wanted):
            self.create_task(self._catch_up())

    # --- applying a transaction (once) -------------------------------------------------------
    def _apply(self, transaction: models.Transaction) -> None:
        if transaction.id in self._applied:
            return
        self._applied.add(transaction.id)
        if len(self._applied) > _APPLIED_KEPT:
            self._forget_old()
        try:
            self._apply_new(transaction)
        except Exception as exc:  # one transaction the client cannot read must not stop the rest
            self._log.exception(f"OANDA transaction {transaction.id} not applied", exc)
        self._ledger.advance(transaction.id)

    def _forget_old(self) -> None:
        """Ids well behind the stream's: the stream and sinceid never give them again."""
        floor = self._stream_last - _APPLIED_KEPT // 2
        self._applied = {i for i in self._applied if not i.isdigit() or int(i) > floor}

    def _apply_new(self, transaction: models.Transaction) -> None:
        kind = transaction.type
        if kind in reconcile.ORDER_CREATES:
            self._on_created(transaction)
        elif kind == "ORDER_FILL":
            self._on_fill(transaction)
        elif kind == "ORDER_CANCEL":
            self._on_cancel(transaction)
        elif kind.endswith("_ORDER_REJECT"):
            order = self._order_of(transaction)
            if order is not None:
                reason = transaction.reject_reason or "UNKNOWN"
                self._reject(order, reject_text(reason))

    def _order_of(self, transaction: models.Transaction) -> Order | None:
        """The node's order a transaction is about: by OANDA order id, by the replaced
        order, else by the client order id it carries."""
        client_id = None
        for venue_id in (transaction.order_id, transaction.replaces_order_id):
            if venue_id is not None and venue_id in self._orders_of:
                client_id = self._orders_of[venue_id]
                break
        if client_id is None:
            client_id = reconcile.client_order_id(transaction.client_extensions)
        if client_id is None and transaction.client_order_id:
            client_id = ClientOrderId(transaction.client_order_id)
        if client_id is None and transaction.type in reconcile.ORDER_CREATES:
            self._log.debug(f"order {transaction.id} is not this node's")
        order: Order | None = None if client_id is None else self._cache.order(client_id)
        return order

    def _on_created(self, transaction: models.Transaction) -> None:
        order = self._order_of(transaction)
        if order is None:
            return
        self._know(order, transaction.id)
        if transaction.reason not in _REPLACED:
            self._ensure_accepted(order)

    def _on_fill(self, transaction: models.Transaction) -> None:
        order = self._order_of(transaction)
        if order is None:
            self._external_fill(transaction)
            return
        instrument = self._instrument(order)
        if instrument is None or transaction.units is None or transaction.price is None:
            return
        self._know(order, str(transaction.order_id))
        self._ensure_accepted(order)
        trade_id = TradeId(transaction.id)
        if trade_id in order.trade_ids or self._told.finished(order):
            return
        quantity = abs(transaction.units)
        leaves = order.quantity.as_decimal() - self._told.filled_qty(order)
        if quantity > leaves:
            self._log.error(
                f"fill {transaction.id} of {quantity} exceeds the {leaves} left of order "
                f"{order.client_order_id}: {leaves} applied, reconciliation shows the position"
            )
            quantity = leaves
        self.generate_order_filled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            venue_order_id=self._venue_id(order),
            venue_position_id=reconcile.fill_position_id(transaction) if self._hedging else None,
            trade_id=trade_id,
            order_side=order.side,
            order_type=order.order_type,
            last_qty=instrument.make_qty(quantity),
            last_px=instrument.make_price(transaction.price),
            quote_currency=instrument.quote_currency,
            commission=reconcile.commission(
                transaction, self._currency or instrument.quote_currency
            ),
            liquidity_side=LiquiditySide.TAKER,
            ts_event=reconcile.time_ns(transaction.time) or self._now(),
        )
        self._told.fill(order, quantity)
        self._refresh_account_soon()

    def _external_fill(self, transaction: models.Transaction) -> None:
        """A fill of an order the node did not send (a take-profit, a margin closeout, an
        order placed elsewhere): reconciled as an external order so the position follows."""
        if transaction.instrument is None or transaction.instrument not in self._provider.names():
            return
        instrument = self._provider.by_name(transaction.instrument)
        self._log.warning(
            f"fill {transaction.id} of order {transaction.order_id} ({transaction.reason}) is "
            "not of an order this node sent: reconciled as an external order"
        )
        if transaction.units is None or transaction.price is None:
            return
        order = models.Order(
            id=str(transaction.order_id), type="MARKET", state="FILLED",
            create_time=transaction.time, instrument=transaction.instrument,
            units=transaction.units, time_in_force="FOK", filled_time=transaction.time,
        )  # fmt: skip
        report = reconcile.order_status_report(
            order, instrument, self.account_id, self._now(), avg_px=transaction.price
        )
        if report is not None:
            self._send_order_status_report(report)
        self._refresh_account_soon()

    def _on_cancel(self, transaction: models.Transaction) -> None:
        order = self._order_of(transaction)
        if order is None or transaction.replaced_by_order_id or transaction.reason in _REPLACED:
            return  # a replaced order: its replacement carries on as the node's order
        if self._told.finished(order):
            return
        reason = transaction.reason or "CANCELLED"
        if order.order_type == OrderType.MARKET and self._told.filled_qty(order) == 0:
            self._reject(order, f"OANDA cancelled the market order: {reason_text(reason)}")
        elif reason == "TIME_IN_FORCE_EXPIRED" and order.time_in_force in _EXPIRING_TIF:
            self._told.finish(order)
            self.generate_order_expired(
                order.strategy_id, order.instrument_id, order.client_order_id,
                self._venue_id(order), self._now(),
            )  # fmt: skip
        else:
            self._canceled(order)

    def _know(self, order: Order, venue_id: str) -> None:
        """`venue_id` is now the OANDA order of the node's `order` (a replace makes a new
        one; the node keeps the first, NautilusTrader's cache indexes orders by it)."""
        self._orders_of[venue_id] = order.client_order_id
        self._current[order.client_order_id] = venue_id
        self._first.setdefault(order.client_order_id, venue_id)

    def _ensure_accepted(self, order: Order) -> None:
        if self._told.accepted(order) or self._told.finished(order):
            return
        self._told.accept(order)
        self.generate_order_accepted(
            order.strategy_id, order.instrument_id, order.client_order_id,
            self._venue_id(order), self._now(),
        )  # fmt: skip

    def _canceled(self, order: Order) -> None:
        if not self._told.finished(order):
            self._told.finish(order)
            self.generate_order_canceled(
                order.strategy_id, order.instrument_id, order.client_order_id,
                self._venue_id(order), self._now(),
            )  # fmt: skip

    def _reject(self, order: Order, reason: str) -> None:
        if self._told.finished(order):
            return
        self._log.error(f"order {order.client_order_id} rejected: {reason}")
        self._told.finish(order)
        self.generate_order_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id, reason, self._now()
        )

    # --- submit ---------------------------------------------------------------------------
    async def _submit_order(self, command: SubmitOrder) -> None:
        order = command.order
        try:
            name = self._provider.name_of(order.instrument_id)
            instrument = self._provider.by_name(name)
            request = msgspec.convert(order_request(order, name, instrument), models.OrderRequest)
        except (UnknownInstrumentError, OrderRefusedError) as exc:
            self._reject(order, str(exc))
            return
        self.generate_order_submitted(
            order.strategy_id, order.instrument_id, order.client_order_id, self._now()
        )
        await self._send(order, request, resend=True)

    async def _send(self, order: Order, request: models.OrderRequest, *, resend: bool) -> None:
        client = self._hub.client
        connections = self._stream_connections()
        try:
            answer = await client.create_order(self._hub.account_id, request)
        except OrderRejected as exc:
            if exc.transaction is not None:
                self._applied.add(exc.transaction.id)
                self._ledger.advance(exc.transaction.id)
            self._reject(order, reject_text(exc.reject_reason, exc.error_message))
            return
        except V20TransportError as exc:
            self._log.warning(
                f"order {order.client_order_id} is in doubt ({exc}): looked up by its client "
                "order id before anything is sent again"
            )
            # The network dropped: the stream may be half-open too, which only a stall
            # would show. Reopened now (unless it already reconnected on its own since the
            # order went out: one drop, one new stream), it catches up from its last id.
            if self._stream_connections() == connections:
                await self._reopen_stream()
            await self._look_up(order, request if resend else None)
            return
        except V20Error as exc:
            self._reject(order, str(exc))
            return
        self._on_created(answer.order_create_transaction)
        self._applied.add(answer.order_create_transaction.id)
        self._ledger.advance(answer.order_create_transaction.id)
        ending = [t for t in (answer.order_fill_transaction, answer.order_cancel_transaction) if t]
        self._check_stream_soon(ending)

    async def _look_up(self, order: Order, resend: models.OrderRequest | None) -> None:
        """An order whose answer was lost: its state at OANDA, or sent again (once) when
        OANDA never received it."""
        specifier = f"@{order.client_order_id.value}"
        try:
            found = await self._hub.client.order(self._hub.account_id, specifier)
        except NotFound:
            if resend is None:
                self._reject(order, "never reached OANDA (looked up by its client order id)")
                return
            self._log.warning(f"order {order.client_order_id} never reached OANDA: sent again")
            await self._send(order, resend, resend=False)
            return
        except (V20Error, V20TransportError) as exc:
            self._log.error(f"order {order.client_order_id} not looked up: {exc}")
            self._loop.call_later(
                _RETRY_SECONDS, lambda: self.create_task(self._look_up(order, None))
            )
            return
        self._know(order, found.id)
        self._ensure_accepted(order)
        if found.state in ("FILLED", "CANCELLED"):
            self.create_task(self._catch_up())  # its fill or cancel, in order

    # --- modify and cancel ----------------------------------------------------------------
    async def _modify_order(self, command: ModifyOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"modify of unknown order {command.client_order_id}")
            return
        try:
            name = self._provider.name_of(order.instrument_id)
            instrument = self._provider.by_name(name)
            request = msgspec.convert(
                replace_request(
                    order, name, instrument, quantity=command.quantity, price=command.price,
                    trigger_price=command.trigger_price,
                ),
                models.OrderRequest,
            )  # fmt: skip
        except (UnknownInstrumentError, OrderRefusedError) as exc:
            self._modify_rejected(order, str(exc))
            return
        try:
            answer = await self._hub.client.replace_order(
                self._hub.account_id, self._specifier(order), request
            )
        except OrderRejected as exc:
            self._modify_rejected(order, reject_text(exc.reject_reason, exc.error_message))
            return
        except (V20Error, V20TransportError) as exc:
            self._modify_rejected(order, f"replace not confirmed: {exc}")
            return
        for transaction in (answer.order_cancel_transaction, answer.order_create_transaction):
            self._applied.add(transaction.id)
            self._ledger.advance(transaction.id)
        new_id = answer.order_create_transaction.id
        self._know(order, new_id)
        self.generate_order_updated(
            order.strategy_id, order.instrument_id, order.client_order_id, self._venue_id(order),
            command.quantity or order.quantity,
            command.price if command.price is not None else (
                order.price if order.has_price else None),
            command.trigger_price if command.trigger_price is not None else (
                order.trigger_price if order.has_trigger_price else None),
            self._now(),
        )  # fmt: skip
        fill = answer.order_fill_transaction
        if fill is not None:
            self._check_stream_soon([fill])

    def _modify_rejected(self, order: Order, reason: str) -> None:
        self.generate_order_modify_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id,
            self._venue_id(order), reason, self._now(),
        )  # fmt: skip

    async def _cancel(self, order: Order) -> None:
        try:
            answer = await self._hub.client.cancel_order(
                self._hub.account_id, self._specifier(order)
            )
        except OrderRejected as exc:
            self._cancel_rejected(order, reject_text(exc.reject_reason, exc.error_message))
            return
        except (V20Error, V20TransportError) as exc:
            self._cancel_rejected(order, f"cancel not confirmed: {exc}")
            return
        self._apply(answer.order_cancel_transaction)

    def _cancel_rejected(self, order: Order, reason: str) -> None:
        self.generate_order_cancel_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id,
            self._venue_id(order), reason, self._now(),
        )  # fmt: skip

    def _specifier(self, order: Order) -> str:
        """The order's OANDA id now (a replacement's), else `@<client order id>`, which
        OANDA resolves by clientExtensions.id (the replacement carries it too)."""
        current = self._current.get(order.client_order_id)
        return current if current is not None else f"@{order.client_order_id.value}"

    # --- reconciliation (queries.py) -----------------------------------------------------
    async def generate_order_status_report(
        self, command: GenerateOrderStatusReport
    ) -> OrderStatusReport | None:
        if command.client_order_id is not None:
            current = self._current.get(command.client_order_id)
            specifier = current or f"@{command.client_order_id.value}"
        elif command.venue_order_id is not None:
            specifier = command.venue_order_id.value
        else:
            return None
        return await self._queries.order_report(specifier, command.client_order_id)

    async def generate_order_status_reports(
        self, command: GenerateOrderStatusReports
    ) -> list[OrderStatusReport]:
        return await self._queries.order_reports(command.instrument_id, open_only=command.open_only)

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        return await self._queries.fill_reports(command.instrument_id, command.venue_order_id)

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports
    ) -> list[PositionStatusReport]:
        return await self._queries.position_reports(command.instrument_id)

    def _known_venue_id(self, client_order_id: ClientOrderId) -> VenueOrderId | None:
        order = self._cache.order(client_order_id)
        return None if order is None else self._venue_id(order)

    # --- helpers --------------------------------------------------------------------------
    def _venue_id(self, order: Order) -> VenueOrderId | None:
        """The node's venue order id of `order`: the first OANDA order it was."""
        venue_id: VenueOrderId | None = order.venue_order_id
        if venue_id is None and order.client_order_id in self._first:
            venue_id = VenueOrderId(self._first[order.client_order_id])
        return venue_id

    def _instrument(self, order: Order) -> Instrument | None:
        instrument: Instrument | None = self._cache.instrument(order.instrument_id)
        return instrument

    def _now(self) -> int:
        return int(self._clock.timestamp_ns())


def reason_text(reason: str) -> str:
    """An ORDER_CANCEL reason in words: "INSUFFICIENT_MARGIN: not enough margin ..."."""
    return f"{reason}: {describe_reject(reason)}"


def account_balance(
    balance: Decimal, margin_used: Decimal | None, currency: Currency
) -> AccountBalance:
    """OANDA's balance and margin used (4 decimals) as NautilusTrader's total, locked and free,
    each in the currency's cents: rounded before `free` is taken, so total - locked == free
    (NautilusTrader refuses a balance whose three amounts disagree by a cent)."""
    cent = Decimal(1).scaleb(-currency.precision)
    total = balance.quantize(cent)
    locked = min(max(margin_used or Decimal(0), Decimal(0)), max(total, Decimal(0))).quantize(cent)
    return AccountBalance(
        total=Money(total, currency),
        locked=Money(locked, currency),
        free=Money(total - locked, currency),
    )
