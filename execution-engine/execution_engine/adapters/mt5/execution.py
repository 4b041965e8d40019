"""`Mt5ExecutionClient`: NautilusTrader's live execution client on a MetaTrader terminal.

Orders go out as `order_send` requests (translate.py) through the node's bridge (hub.py);
the terminal's answer (`MqlTradeResult`) and its `transaction` events come back on the node's
loop and become order events. Every DEAL/PENDING request carries the order's comment key and
the node's magic, and its intent is journaled (intents.py; fsynced off the loop, or only
flushed with `intent_sync = "flush"`) before it is sent. NautilusTrader fixes the OMS when
the node is built: the venue config's `margin_mode` (hedging or netting) is checked against
the account's when the terminal connects, and a mismatch fails the connect.

Outcomes:
- 10009 done: accepted, then filled by its deal; 10008 placed: accepted (the venue order id
  is the order ticket); 10010: accepted and partly filled. A deal's fill is applied once per
  deal ticket, from the `DEAL_ADD` event's full record (commission, position) when it comes,
  else from the result after `request_timeout_seconds`.
- 10004 requote executed nothing: the request goes again at the requote's price, at most
  `max_requotes` times, then the order is rejected "requoted N times".
- Any other retcode rejects the order with its number and MetaTrader's text, and the trade
  server's comment when it says more (10027 tells the user to switch AutoTrading on, and is
  logged as an error).
- A dropped connection or a timeout after the request left: the order is IN DOUBT and is
  never sent again. Once the terminal is connected (at once after a timeout), its key is
  looked up: an active order is accepted; a history order and its deals give filled,
  canceled, expired or rejected; nothing means it never reached the terminal (rejected).
  The EA answers one request at a time, so the lookup sees the end of anything sent before.
  After a reconnect the open orders are looked up the same way (a fill whose event was lost
  applies), and the account is read again.

Reconciliation reads `orders`, `history_orders`, `history_deals` and `positions`; client order
ids come back from the intent journal by key, so a node restarted with an empty cache knows
its orders. Orders of other magic numbers are external (no client order id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from nautilus_trader.model.enums import AccountType, LiquiditySide, OmsType, OrderType
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
from execution_engine.adapters.mt5 import keys, reconcile
from execution_engine.adapters.mt5.bridge import (
    BridgeDisconnectedError,
    BridgeError,
    BridgeNotConnectedError,
    BridgeRequestError,
    BridgeTimeoutError,
)
from execution_engine.adapters.mt5.codes import (
    Event,
    Filling,
    MarginMode,
    Op,
    OrderState,
    Retcode,
    Transaction,
)
from execution_engine.adapters.mt5.config import MT5_CLIENT, Mt5ExecClientConfig
from execution_engine.adapters.mt5.hub import EXECUTION, Mt5BridgeHub, Mt5ConnectError
from execution_engine.adapters.mt5.intents import Intent, IntentJournal
from execution_engine.adapters.mt5.providers import (
    Spec,
    UnknownSymbolError,
    units,
)
from execution_engine.adapters.mt5.queries import NS_PER_MS, TerminalQueries
from execution_engine.adapters.mt5.translate import (
    OrderRefusedError,
    SendTerms,
    modify_request,
    remove_request,
    trade_request,
)
from execution_engine.adapters.told import Told

Row = Mapping[str, Any]
_VOLUME_CHANGE = "MetaTrader cannot change a pending order's volume"
_MARGIN_MODES = {"hedging": MarginMode.HEDGING.value, "netting": MarginMode.NETTING.value}


def retcode_text(retcode: int, comment: object = None) -> str:
    """ "<retcode> <MetaTrader's text>" for a rejection's reason, and the trade server's own
    comment after a colon when it says something else ("10006 request rejected: <why>")."""
    try:
        text = f"{retcode} {Retcode(retcode).text}"
    except ValueError:
        text = f"{retcode} unknown trade server return code"
    said = str(comment).strip() if comment else ""
    if said and said.lower() not in text.lower():
        return f"{text}: {said}"
    return text


class Mt5ExecutionClient(OneCancelPerOrder):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: Mt5ExecClientConfig,
        hub: Mt5BridgeHub,
    ) -> None:
        venue_config = config.venue_config()
        venue = Venue(venue_config.venue)
        self._hedging = venue_config.margin_mode == "hedging"
        self._provider = hub.provider(config.instruments, venue)
        super().__init__(
            loop=loop,
            client_id=ClientId(MT5_CLIENT),
            venue=venue,
            oms_type=OmsType.HEDGING if self._hedging else OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=None,  # the account's currency is known once the terminal answers
            instrument_provider=self._provider,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        self._venue = venue_config
        self._hub = hub
        self._terms = SendTerms(
            magic=config.magic,
            deviation_points=venue_config.deviation_points,
            platform=venue_config.platform,
        )
        self._timeout = venue_config.request_timeout_seconds
        self._journal = IntentJournal(Path(config.intents_path))
        self._currency: Currency | None = None
        self._applied_deals: set[int] = set()
        self._told = Told()
        self._in_doubt: dict[ClientOrderId, str] = {}  # orders whose outcome is unknown
        self._stale: dict[ClientOrderId, str] = {}  # open orders to read again (a reconnect)
        self._submitting: dict[ClientOrderId, asyncio.Event] = {}  # submits still running
        self._resolving: asyncio.Task[None] | None = None
        self._modifying: set[ClientOrderId] = set()
        self._rest_canceled: set[ClientOrderId] = set()  # IOC done partly: ends with its deal
        self._set_account_id(AccountId(f"{venue_config.venue}-{venue_config.bridge.terminal}"))
        self._queries = TerminalQueries(
            hub, self._provider, self._journal, magic=config.magic, hedging=self._hedging,
            now_ns=self._now, log_error=self._log.error,
        )  # fmt: skip
        self._queries.account_id = self.account_id

    def bridge_status(self) -> dict[str, Any]:
        """For the live session's status: the bridge's counters, who is connected, and how
        many orders are in doubt (JSON values only)."""
        if not self._hub.started:
            return {"connected": False, "in_doubt": len(self._in_doubt)}
        bridge = self._hub.bridge
        status: dict[str, Any] = {**bridge.stats(), "in_doubt": len(self._in_doubt)}
        session = bridge.session
        if session is not None:
            status.update(
                terminal=session.terminal, platform=session.platform, login=session.login,
                broker=session.broker, session=session.session,
            )  # fmt: skip
        return status

    @property
    def in_doubt(self) -> dict[ClientOrderId, str]:
        """Orders sent whose outcome is not known yet (client order id → key)."""
        return dict(self._in_doubt)

    # --- connection -----------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._hub.join(self._venue, EXECUTION, self._on_event, self._on_connection)
        try:
            await self._start_trading()
        except BaseException:
            await self._hub.leave(EXECUTION)
            raise
        await self._await_account_registered()

    async def _start_trading(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            if self._cache.instrument(instrument.id) is None:
                self._cache.add_instrument(instrument)
        account = await self._hub.request(Op.ACCOUNT_INFO.value, {})
        self._check_margin_mode(account)
        self._currency = Currency.from_str(str(account["currency"]))
        self._queries.currency = self._currency
        if not account.get("trade_allowed", True):
            self._log.warning(
                f"the terminal does not allow trading now: {Retcode.CLIENT_DISABLES_AT.text}"
            )
        self._report_account(account)

    async def _disconnect(self) -> None:
        await self._hub.leave(EXECUTION)
        self._journal.close()

    def _check_margin_mode(self, account: Row) -> None:
        expected = _MARGIN_MODES[self._venue.margin_mode]
        mode = account.get("margin_mode")
        if mode != expected:
            raise Mt5ConnectError(
                f"the MetaTrader account's margin mode is {mode}, the venue config says "
                f"margin_mode = {self._venue.margin_mode!r}: set it to match the account"
            )

    def _on_connection(self, connected: bool) -> None:
        """Back: what the open orders did meanwhile (their events were lost with the
        connection) is read by key, with the in-doubt orders."""
        if not connected:
            self._log.warning("the MetaTrader terminal disconnected")
            return
        for order in self._cache.orders_open(venue=self.venue):
            key = keys.comment_key(order.client_order_id.value)
            if self._journal.by_key(key) is not None:
                self._stale.setdefault(order.client_order_id, key)
        if self._in_doubt or self._stale:
            self._resolve_soon()
        self.create_task(self._refresh_account())

    async def _refresh_account(self) -> None:
        """The balance and margin as they are now (account events were lost meanwhile)."""
        try:
            self._report_account(await self._hub.request(Op.ACCOUNT_INFO.value, {}))
        except BridgeError as exc:
            self._log.warning(f"account not refreshed after the reconnect: {exc}")

    def _report_account(self, fields: Row) -> None:
        """Balance as NautilusTrader's total, margin as locked (free is what is left)."""
        currency = self._currency
        if currency is None:
            return
        balance = Decimal(str(fields["balance"]))
        # NautilusTrader needs total = locked + free with neither negative.
        margin = min(
            max(Decimal(str(fields.get("margin", "0"))), Decimal(0)), max(balance, Decimal(0))
        )
        total = Money(balance, currency)
        locked = Money(margin, currency)
        free = Money(balance - margin, currency)
        self.generate_account_state(
            balances=[AccountBalance(total=total, locked=locked, free=free)],
            margins=[],
            reported=True,
            ts_event=self._now(),
        )

    # --- submit ---------------------------------------------------------------------------
    async def _submit_order(self, command: SubmitOrder) -> None:
        # NautilusTrader runs each command as its own task: a cancel or modify sent right
        # after the submit would otherwise find no ticket while the request is on its way.
        done = self._submitting[command.order.client_order_id] = asyncio.Event()
        try:
            await self._submit(command)
        finally:
            self._submitting.pop(command.order.client_order_id, None)
            done.set()

    async def _after_submit(self, order: Order) -> None:
        """Return once this client's submit of `order` (if one is running) has finished."""
        submitting = self._submitting.get(order.client_order_id)
        if submitting is not None:
            await submitting.wait()

    async def _submit(self, command: SubmitOrder) -> None:
        order = command.order
        try:
            spec = self._provider.spec_of(order.instrument_id)
        except UnknownSymbolError as exc:
            self._reject(order, str(exc))
            return
        if self._journal.by_client_order_id(order.client_order_id.value) is not None:
            self._reject(order, f"duplicate client order id {order.client_order_id}")
            return
        quote = self._quote(order)
        if quote is None and order.order_type == OrderType.MARKET:
            quote = await self._terminal_quote(spec)
        try:
            request = trade_request(
                order, spec, self._terms, quote=quote, position=self._position(command)
            )
        except OrderRefusedError as exc:
            self._reject(order, str(exc))
            return
        if not await self._journal_intent(order, request["comment"]):
            return
        self.generate_order_submitted(
            order.strategy_id, order.instrument_id, order.client_order_id, self._now()
        )
        await self._send(order, request, spec, requotes=0)

    async def _journal_intent(self, order: Order, key: str) -> bool:
        """The intent, durable before the request leaves (the fsync runs off the loop, which
        keeps handling ticks and events meanwhile); False: rejected, nothing sent."""
        try:
            self._journal.append(self._intent(order, key))
            if self._venue.intent_sync == "fsync":
                await self._loop.run_in_executor(None, self._journal.sync)
        except OSError as exc:
            self._reject(order, f"the intent journal cannot be written: {exc}")
            return False
        return True

    def _intent(self, order: Order, key: str) -> Intent:
        return Intent(
            key=key,
            client_order_id=order.client_order_id.value,
            strategy_id=order.strategy_id.value,
            instrument_id=order.instrument_id.value,
            side=order.side_string(),
            quantity=str(order.quantity),
            ts_ns=self._now(),
        )

    def _quote(self, order: Order) -> tuple[Decimal, Decimal] | None:
        quote = self._cache.quote_tick(order.instrument_id)
        if quote is None:
            return None
        return quote.bid_price.as_decimal(), quote.ask_price.as_decimal()

    async def _terminal_quote(self, spec: Spec) -> tuple[Decimal, Decimal] | None:
        """The terminal's last tick, for a market order on a symbol nobody subscribed to."""
        try:
            tick = (await self._hub.request(Op.TICK.value, {"symbol": spec["name"]})).get("tick")
        except BridgeError:
            return None  # the order goes without a price; the send reports what is wrong
        if not isinstance(tick, list) or len(tick) < 4:
            return None
        return Decimal(str(tick[2])), Decimal(str(tick[3]))

    def _position(self, command: SubmitOrder) -> int | None:
        """The hedging position ticket an order closes (its position id is the ticket)."""
        position_id = command.position_id
        if not self._hedging or position_id is None or not position_id.value.isdigit():
            return None
        return int(position_id.value)

    async def _send(self, order: Order, request: dict[str, Any], spec: Spec, requotes: int) -> None:
        try:
            result = await self._hub.request(
                Op.ORDER_SEND.value, {"request": request}, self._timeout
            )
        except BridgeNotConnectedError:
            self._reject(order, "the MetaTrader terminal is not connected: nothing was sent")
            return
        except (BridgeDisconnectedError, BridgeTimeoutError) as exc:
            self._doubt(order, request["comment"], exc)
            return
        except BridgeRequestError as exc:
            self._reject(order, f"the terminal refused the request: {exc.code} {exc.message}")
            return
        await self._on_result(order, request, spec, result, requotes)

    async def _on_result(
        self, order: Order, request: dict[str, Any], spec: Spec, result: Row, requotes: int
    ) -> None:
        retcode = int(result.get("retcode", 0))
        ticket = int(result.get("order") or 0)
        if retcode == Retcode.REQUOTE:
            if requotes >= self._venue.max_requotes:
                self._reject(order, f"requoted {requotes + 1} times")
                return
            await self._send(order, _requoted(request, result, spec), spec, requotes + 1)
            return
        if retcode not in (Retcode.DONE, Retcode.PLACED, Retcode.DONE_PARTIAL):
            if retcode == Retcode.CLIENT_DISABLES_AT:
                self._log.error(f"order {order.client_order_id}: {Retcode.CLIENT_DISABLES_AT.text}")
            self._reject(order, retcode_text(retcode, result.get("comment")))
            return
        if result.get("duplicate"):  # an earlier order with this key: its records tell all
            await self._look_up(order, request["comment"], in_doubt=False)
            return
        self._know_ticket(order, ticket)
        self._ensure_accepted(order, ticket)
        deal = int(result.get("deal") or 0)
        if deal and deal not in self._applied_deals:
            # The DEAL_ADD event carries the full record; the result stands in if it does not come.
            position = request.get("position") or ticket
            self._loop.call_later(
                self._timeout, self._fill_from_result, order, result, spec, position
            )
        if retcode == Retcode.DONE_PARTIAL and request.get("type_filling") == Filling.IOC.value:
            # The server canceled the rest: the order ends once its deal is applied.
            self._rest_canceled.add(order.client_order_id)
            if deal in self._applied_deals:
                self._cancel_rest(order)

    def _cancel_rest(self, order: Order) -> None:
        self._rest_canceled.discard(order.client_order_id)
        self._canceled(order)

    def _canceled(self, order: Order) -> None:
        """OrderCanceled, once (a cancel's answer and its ORDER_DELETE event both tell it)."""
        if not self._told.finished(order):
            self._told.finish(order)
            self.generate_order_canceled(
                order.strategy_id, order.instrument_id, order.client_order_id,
                self._venue_id(order), self._now(),
            )  # fmt: skip

    def _fill_from_result(self, order: Order, result: Row, spec: Spec, position: int) -> None:
        """The fill as the result tells it, when no DEAL_ADD brought the deal's record. A
        hedging deal's position: the one closed, else the opening order's ticket (MetaTrader
        identifies a position by the ticket of the order that opened it)."""
        deal = int(result.get("deal") or 0)
        if not deal or deal in self._applied_deals:
            return
        record = {
            "ticket": deal,
            "order": int(result.get("order") or 0),
            "position_id": position,
            "type": "DEAL_TYPE_BUY" if order.side_string() == "BUY" else "DEAL_TYPE_SELL",
            "volume": result["volume"],
            "price": result["price"],
            "time_ms": self._now() // NS_PER_MS,
        }
        self._apply_deal(order, record, spec)

    def _doubt(self, order: Order, key: str, exc: BridgeError) -> None:
        self._in_doubt[order.client_order_id] = key
        self._log.warning(
            f"order {order.client_order_id} is in doubt ({exc}): it is not sent again; "
            "it will be looked up by its key"
        )
        if self._hub.connected:
            self._resolve_soon()

    def _reject(self, order: Order, reason: str) -> None:
        self._log.error(f"order {order.client_order_id} rejected: {reason}")
        self._told.finish(order)
        self.generate_order_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id, reason, self._now()
        )

    # --- in-doubt orders ------------------------------------------------------------------
    def _resolve_soon(self) -> None:
        if self._resolving is None or self._resolving.done():
            self._resolving = self.create_task(self._resolve_in_doubt())

    async def _resolve_in_doubt(self) -> None:
        """Look up the in-doubt orders (nothing found: never sent), then the open ones
        after a reconnect (nothing found: left as they are, reconciliation will tell)."""
        while self._in_doubt or self._stale:  # more may come while a lookup waits
            for pending, in_doubt in ((self._in_doubt, True), (self._stale, False)):
                for client_order_id, key in list(pending.items()):
                    order = self._cache.order(client_order_id)
                    try:
                        if order is not None:
                            await self._look_up(order, key, in_doubt=in_doubt)
                    except BridgeError as exc:
                        self._log.warning(f"order {client_order_id} not looked up yet: {exc}")
                        if self._hub.connected:  # else the next connection tries again
                            self._loop.call_later(self._timeout, self._resolve_soon)
                        return
                    pending.pop(client_order_id, None)

    async def _look_up(self, order: Order, key: str, *, in_doubt: bool) -> None:
        found = await self._queries.by_key(key)
        if not found.found:
            if in_doubt:
                self._reject(
                    order, "never reached the terminal (looked up by its key after reconnect)"
                )
            else:
                self._log.warning(f"open order {order.client_order_id} is not on the terminal")
            return
        spec = self._provider.spec_of(order.instrument_id)
        self._know_ticket(order, found.ticket)
        self._ensure_accepted(order, found.ticket)
        for deal in found.deals:
            if reconcile.is_trade(deal):
                self._apply_deal(order, deal, spec)
        if found.history:
            self._apply_final_state(order, found.history[0])
        self._log.info(
            f"order {order.client_order_id} resolved by its key: {order.status_string()}"
        )

    # --- what the terminal sends ----------------------------------------------------------
    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        try:
            if event == Event.TRANSACTION.value:
                self._on_transaction(data)
            elif event == Event.ACCOUNT.value:
                self._report_account(data)
            elif event == Event.TERMINAL.value:
                self._on_terminal(data)
            elif event == Event.STOP_OUT.value:
                self._log.error(
                    f"stop-out at margin level {data.get('margin_level')}: the broker closed "
                    f"positions {data.get('positions')}; reconciliation will show them"
                )
        except Exception as exc:  # one bad event must not stop the bridge's delivery
            self._log.exception(f"MetaTrader event not applied: {event} {data!r}", exc)

    def _on_terminal(self, data: Row) -> None:
        if data.get("trade_allowed") is False:
            self._log.error(f"the terminal stopped trading: {Retcode.CLIENT_DISABLES_AT.text}")
        if data.get("connected") is False:
            self._log.error("the terminal lost its connection to the broker's trade server")

    def _on_transaction(self, data: Row) -> None:
        kind = data.get("type")
        if kind == Transaction.DEAL_ADD.value:
            self._on_deal(data.get("deal_record") or {})
        elif kind in (Transaction.ORDER_DELETE.value, Transaction.HISTORY_ADD.value):
            record = data.get("order_record") or {}
            order = self._order_of(record, int(data.get("order") or 0))
            if order is not None:
                self._apply_final_state(order, {**record, "state": data.get("order_state")})
        elif kind == Transaction.ORDER_UPDATE.value:
            record = data.get("order_record") or {}
            order = self._order_of(record, int(data.get("order") or 0))
            if order is not None and order.client_order_id in self._modifying:
                self._updated_from_row(order, record)

    def _on_deal(self, deal: Row) -> None:
        if not reconcile.is_trade(deal):
            return
        order = self._order_of(deal, int(deal.get("order") or 0))
        if order is None:
            self._log.warning(
                f"deal {deal.get('ticket')} of order {deal.get('order')} ({deal.get('reason')}) "
                "is not of an order this node sent: reconciled as an external order"
            )
            self.create_task(self._reconcile_foreign(deal))
            return
        spec = self._provider.spec_of(order.instrument_id)
        self._know_ticket(order, int(deal.get("order") or 0))
        self._ensure_accepted(order, int(deal.get("order") or 0))
        self._apply_deal(order, deal, spec)

    async def _reconcile_foreign(self, deal: Row) -> None:
        """A deal of an order the node did not send moves a position it may hold (a stop
        loss, a stop-out): NautilusTrader reconciles the order as external, its fill
        inferred, so the position follows the terminal's without waiting for a restart."""
        report = await self._queries.foreign_order_report(deal)
        if report is not None:
            self._send_order_status_report(report)

    def _order_of(self, row: Row, ticket: int) -> Order | None:
        """The cache's order a row belongs to: by its ticket, else by its comment key."""
        client_order_id = self._told.order_of(ticket)
        if client_order_id is None:
            key = keys.key_of(str(row.get("comment") or ""))
            intent = None if key is None else self._journal.by_key(key)
            if intent is None:
                return None
            client_order_id = ClientOrderId(intent.client_order_id)
        order: Order | None = self._cache.order(client_order_id)
        return order

    def _apply_deal(self, order: Order, deal: Row, spec: Spec) -> None:
        """One deal as one fill, once per deal ticket (also across a duplicate event)."""
        ticket = int(deal["ticket"])
        if ticket in self._applied_deals or TradeId(str(ticket)) in order.trade_ids:
            return
        self._applied_deals.add(ticket)
        if self._told.finished(order):
            self._log.error(f"deal {ticket} for closed order {order.client_order_id}: not applied")
            return
        instrument = self._instrument(order)
        quantity = units(str(deal["volume"]), spec).as_decimal()
        leaves = order.quantity.as_decimal() - self._told.filled_qty(order)
        if quantity > leaves:  # the terminal traded more than the order had left
            self._log.error(
                f"deal {ticket} of {quantity} exceeds the {leaves} left of order "
                f"{order.client_order_id}: {leaves} applied, reconciliation shows the position"
            )
            quantity = leaves
        self.generate_order_filled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            venue_order_id=VenueOrderId(str(deal["order"])),
            venue_position_id=reconcile.position_id(deal.get("position_id"))
            if self._hedging
            else None,
            trade_id=TradeId(str(ticket)),
            order_side=order.side,
            order_type=order.order_type,
            last_qty=instrument.make_qty(quantity),
            last_px=instrument.make_price(Decimal(str(deal["price"]))),
            quote_currency=instrument.quote_currency,
            commission=reconcile.deal_commission(deal, self._currency or instrument.quote_currency),
            liquidity_side=LiquiditySide.TAKER,
            ts_event=reconcile.ms_to_ns(deal.get("time_ms")) or self._now(),
        )
        self._told.fill(order, quantity)
        if order.client_order_id in self._rest_canceled:
            self._cancel_rest(order)

    def _apply_final_state(self, order: Order, row: Row) -> None:
        state = row.get("state")
        if state == OrderState.CANCELED.value:
            self._canceled(order)
        elif self._told.finished(order):
            return
        elif state == OrderState.EXPIRED.value:
            self._told.finish(order)
            self.generate_order_expired(
                order.strategy_id, order.instrument_id, order.client_order_id,
                self._venue_id(order), self._now(),
            )  # fmt: skip
        elif state == OrderState.REJECTED.value:
            self._reject(order, "rejected by the trade server")

    def _know_ticket(self, order: Order, ticket: int) -> None:
        if ticket:
            self._told.know_ticket(order, ticket)

    def _ensure_accepted(self, order: Order, ticket: int) -> None:
        if not ticket or self._told.accepted(order) or self._told.finished(order):
            return  # accepted already (or done)
        self._told.accept(order)
        self.generate_order_accepted(
            order.strategy_id, order.instrument_id, order.client_order_id,
            VenueOrderId(str(ticket)), self._now(),
        )  # fmt: skip

    def _venue_id(self, order: Order) -> VenueOrderId | None:
        ticket = self._ticket_of(order)
        return None if ticket is None else VenueOrderId(str(ticket))

    def _ticket_of(self, order: Order) -> int | None:
        """The order's ticket: as this client learnt it, else the order's venue order id."""
        ticket = self._told.ticket(order)
        if ticket is not None:
            return ticket
        venue_id = order.venue_order_id
        if venue_id is None or not venue_id.value.isdigit():
            return None
        return int(venue_id.value)

    # --- modify and cancel ----------------------------------------------------------------
    async def _modify_order(self, command: ModifyOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"modify of unknown order {command.client_order_id}")
            return
        if command.quantity is not None and command.quantity != order.quantity:
            self._modify_rejected(order, _VOLUME_CHANGE)
            return
        await self._after_submit(order)
        ticket = self._ticket_of(order)
        if ticket is None:
            self._modify_rejected(order, "the order has no ticket on the terminal yet")
            return
        try:
            spec = self._provider.spec_of(order.instrument_id)
            request = modify_request(
                order, spec, ticket,
                price=None if command.price is None else command.price.as_decimal(),
                trigger=None if command.trigger_price is None else command.trigger_price.as_decimal(),
                expire_ns=None,
            )  # fmt: skip
        except (OrderRefusedError, UnknownSymbolError) as exc:
            self._modify_rejected(order, str(exc))
            return
        self._modifying.add(order.client_order_id)
        try:
            result = await self._hub.request(Op.ORDER_SEND.value, {"request": request})
        except BridgeError as exc:
            self._modifying.discard(order.client_order_id)
            self._modify_rejected(order, f"modify not confirmed: {exc}")
            return
        retcode = int(result.get("retcode", 0))
        if retcode not in (Retcode.DONE, Retcode.PLACED, Retcode.NO_CHANGES):
            self._modifying.discard(order.client_order_id)
            self._modify_rejected(order, retcode_text(retcode, result.get("comment")))
            return
        if order.client_order_id in self._modifying:  # no ORDER_UPDATE came first
            self._modifying.discard(order.client_order_id)
            self.generate_order_updated(
                order.strategy_id, order.instrument_id, order.client_order_id,
                self._venue_id(order), order.quantity,
                command.price if command.price is not None else (
                    order.price if order.has_price else None),
                command.trigger_price if command.trigger_price is not None else (
                    order.trigger_price if order.has_trigger_price else None),
                self._now(),
            )  # fmt: skip

    def _updated_from_row(self, order: Order, row: Row) -> None:
        """An ORDER_UPDATE after our modify: the order's terms as the terminal has them."""
        self._modifying.discard(order.client_order_id)
        instrument = self._instrument(order)
        price_open = Decimal(str(row.get("price_open", "0")))
        stop_limit = Decimal(str(row.get("price_stoplimit", "0")))
        price = trigger = None
        if order.has_price and order.has_trigger_price:  # stop-limit: trigger, then limit
            trigger, price = instrument.make_price(price_open), instrument.make_price(stop_limit)
        elif order.has_price:
            price = instrument.make_price(price_open)
        elif order.has_trigger_price:
            trigger = instrument.make_price(price_open)
        self.generate_order_updated(
            order.strategy_id, order.instrument_id, order.client_order_id,
            self._venue_id(order), order.quantity, price, trigger, self._now(),
        )  # fmt: skip

    def _modify_rejected(self, order: Order, reason: str) -> None:
        self.generate_order_modify_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id,
            self._venue_id(order), reason, self._now(),
        )  # fmt: skip

    async def _cancel(self, order: Order) -> None:
        await self._after_submit(order)
        if self._told.finished(order):
            self._cancel_rejected(order, f"the order is already {order.status_string()}")
            return
        ticket = self._ticket_of(order)
        if ticket is None:
            self._cancel_rejected(order, "the order has no ticket on the terminal yet")
            return
        try:
            result = await self._hub.request(
                Op.ORDER_SEND.value, {"request": remove_request(ticket)}
            )
        except BridgeError as exc:
            self._cancel_rejected(order, f"cancel not confirmed: {exc}")
            return
        retcode = int(result.get("retcode", 0))
        if retcode not in (Retcode.DONE, Retcode.PLACED):
            self._cancel_rejected(order, retcode_text(retcode, result.get("comment")))
        else:
            self._canceled(order)  # once, with the ORDER_DELETE event

    def _cancel_rejected(self, order: Order, reason: str) -> None:
        self.generate_order_cancel_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id,
            self._venue_id(order), reason, self._now(),
        )  # fmt: skip

    # --- reconciliation (queries.py) -----------------------------------------------------
    async def generate_order_status_report(
        self, command: GenerateOrderStatusReport
    ) -> OrderStatusReport | None:
        return await self._queries.order_status_report(
            command.client_order_id, command.venue_order_id
        )

    async def generate_order_status_reports(
        self, command: GenerateOrderStatusReports
    ) -> list[OrderStatusReport]:
        return await self._queries.order_status_reports(
            command.instrument_id, command.start, open_only=command.open_only
        )

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        return await self._queries.fill_reports(
            command.instrument_id, command.venue_order_id, command.start
        )

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports
    ) -> list[PositionStatusReport]:
        return await self._queries.position_reports(command.instrument_id)

    # --- helpers --------------------------------------------------------------------------
    def _instrument(self, order: Order) -> Instrument:
        instrument = self._cache.instrument(order.instrument_id)
        if instrument is None:
            raise UnknownSymbolError(f"instrument {order.instrument_id} is not in the cache")
        return instrument

    def _now(self) -> int:
        return int(self._clock.timestamp_ns())


def _requoted(request: dict[str, Any], result: Row, spec: Spec) -> dict[str, Any]:
    """The same request at the requote's price (the ask to buy, the bid to sell)."""
    side_price = result.get("ask") if str(request["type"]).endswith("_BUY") else result.get("bid")
    if side_price in (None, "", "0"):
        return request
    return {**request, "price": f"{Decimal(str(side_price)):.{int(spec['digits'])}f}"}
