"""`OrderSend`: the checks (in MetaTrader's order) and the execution of each trade action,
answered as an `MqlTradeResult`.

Market deals: INSTANT (and REQUEST) execution needs the request's price and requotes
(10004, with the current bid/ask) when the market is more than `deviation` points away;
MARKET and EXCHANGE execution ignore the price. Liquidity is unlimited unless the
`liquidity_lots` fault sets it: then FOK above it is rejected (10006: MT5 has no retcode of
its own for an unfillable FOK, and the server answers it as a rejected request, leaving no
order), IOC fills what there is (10010, the order goes to history as ORDER_STATE_PARTIAL),
and RETURN fills what there is and keeps the rest active, filled on later ticks.

Pending orders: the filling type is checked against the symbol's flags on exchange
execution only (a Forex dealer's server keeps a pending order's filling as given). A stop-limit becomes a limit at `stoplimit` when its stop is reached (the
simulator keeps the ticket and changes the order's type, ORDER_UPDATE). MT4 has no
stop-limit orders (10013) and ignores the filling type. MODIFY keeps the price or stop-limit
price given as 0 and sets SL, TP and lifetime as given (0 removes a stop). REMOVE or MODIFY
of an order that is not active, and SLTP or close-by of a position that never existed,
answer 10013; of a position since closed, 10036.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from execution_engine.adapters.mt5.codes import (
    Action,
    DealReason,
    ExecutionMode,
    Filling,
    OrderState,
    OrderType,
    Retcode,
    Transaction,
)
from execution_engine.adapters.mt5.sim.account import Position, close_price
from execution_engine.adapters.mt5.sim.checks import (
    RefusedError,
    TradeRequest,
    check_expiration,
    check_filling,
    check_normalized,
    check_not_frozen,
    check_pending_distance,
    check_pending_price,
    check_stops,
    check_volume,
    market_side,
)
from execution_engine.adapters.mt5.sim.config import SymbolSpec
from execution_engine.adapters.mt5.sim.formats import fixed
from execution_engine.adapters.mt5.sim.history import Order
from execution_engine.adapters.mt5.sim.market import NoQuoteError
from execution_engine.adapters.mt5.sim.server import TradeServer

_MARKET_ORDER = 1  # SYMBOL_ORDER_MODE bits
_MODE_OF = {
    OrderType.BUY_LIMIT: 2,
    OrderType.SELL_LIMIT: 2,
    OrderType.BUY_STOP: 4,
    OrderType.SELL_STOP: 4,
    OrderType.BUY_STOP_LIMIT: 8,
    OrderType.SELL_STOP_LIMIT: 8,
}
STOP_LIMITS = {OrderType.BUY_STOP_LIMIT, OrderType.SELL_STOP_LIMIT}


class TradeDesk:
    def __init__(self, server: TradeServer) -> None:
        self.server = server
        self._request_id = 0
        self._handlers: dict[Action, Callable[[TradeRequest, int], dict[str, Any]]] = {
            Action.DEAL: self._deal,
            Action.PENDING: self._pending,
            Action.MODIFY: self._modify,
            Action.REMOVE: self._remove,
            Action.SLTP: self._sltp,
            Action.CLOSE_BY: self._close_by,
        }

    def send(self, request: TradeRequest) -> dict[str, Any]:
        """The trade server's answer to `request` (it has passed the terminal's checks)."""
        now = self.server.clock_ms()
        try:
            handler = self._handlers[request.trade_action]
            rejected = self.server.faults.take_reject()
            if rejected is not None:
                raise RefusedError(Retcode.REJECT, rejected)
            return handler(request, now)
        except RefusedError as refusal:
            return self.answer(refusal.retcode, request.symbol, comment=refusal.comment)
        except NoQuoteError as missing:
            return self.answer(Retcode.PRICE_OFF, request.symbol, comment=f"no quote for {missing}")

    def answer(
        self,
        retcode: Retcode,
        symbol: str,
        *,
        deal: int = 0,
        order: int = 0,
        volume: Decimal = Decimal(0),
        price: Decimal = Decimal(0),
        comment: str = "",
    ) -> dict[str, Any]:
        """An MqlTradeResult, numbers in the symbol's digits."""
        self._request_id += 1
        spec = self.server.market.specs.get(symbol)
        tick = self.server.market.ticks.get(symbol)
        digits, volume_digits = (spec.digits, spec.volume_digits) if spec else (0, 0)
        return {
            "retcode": int(retcode),
            "deal": deal,
            "order": order,
            "volume": fixed(volume, volume_digits),
            "price": fixed(price, digits),
            "bid": fixed(tick.bid if tick else Decimal(0), digits),
            "ask": fixed(tick.ask if tick else Decimal(0), digits),
            "comment": comment or retcode.text,
            "request_id": self._request_id,
            "duplicate": False,
        }

    def _market_open(self, spec: SymbolSpec) -> None:
        if spec.name in self.server.faults.market_closed:
            raise RefusedError(Retcode.MARKET_CLOSED, f"the market for {spec.name} is closed")

    def _position(self, ticket: int) -> Position:
        position = self.server.account.positions.get(ticket)
        if position is not None:
            return position
        if ticket and self.server.ledger.find_deals(position=ticket):
            raise RefusedError(Retcode.POSITION_CLOSED, f"position #{ticket} is already closed")
        raise RefusedError(Retcode.INVALID, f"no position #{ticket}")

    # -- TRADE_ACTION_DEAL

    def _deal(self, request: TradeRequest, now: int) -> dict[str, Any]:
        server = self.server
        spec = server.spec(request.symbol)
        kind = request.order_type
        if kind not in (OrderType.BUY, OrderType.SELL):
            raise RefusedError(Retcode.INVALID, "TRADE_ACTION_DEAL takes ORDER_TYPE_BUY or _SELL")
        if not spec.order_mode & _MARKET_ORDER:
            raise RefusedError(Retcode.INVALID, f"market orders are not allowed for {spec.name}")
        close = self._closed_by_deal(request, spec, kind)
        opening = server.opening_volume(spec.name, kind.is_buy, request.volume, close is not None)
        server.check_trade_mode(spec, kind.is_buy, opening)
        self._market_open(spec)
        check_volume(spec, request.volume)
        if close is not None and request.volume > close.volume:
            raise RefusedError(
                Retcode.INVALID_CLOSE_VOLUME, f"position #{close.ticket} has {close.volume} lots"
            )
        check_normalized(spec, price=request.price, sl=request.sl, tp=request.tp)
        tick = server.market.tick(spec.name)
        market_price = tick.ask if kind.is_buy else tick.bid
        if close is None:
            closing_ref = tick.bid if kind.is_buy else tick.ask
            check_stops(spec, kind.is_buy, closing_ref, request.sl, request.tp)
        filling = self._filling(spec, request)
        server.check_margin(spec, opening)
        self._check_requote(spec, request, market_price)
        volume = self._fillable(spec, request.volume, filling)
        return self._execute(request, kind, filling, volume, market_price, close, now)

    def _closed_by_deal(
        self, request: TradeRequest, spec: SymbolSpec, kind: OrderType
    ) -> Position | None:
        """The hedging position a deal names (netting ignores `position`)."""
        if not self.server.config.hedging or not request.position:
            return None
        position = self._position(request.position)
        if position.symbol != spec.name or position.is_buy == kind.is_buy:
            raise RefusedError(
                Retcode.INVALID, f"{kind.value} on {spec.name} cannot close #{position.ticket}"
            )
        return position

    def _filling(self, spec: SymbolSpec, request: TradeRequest) -> Filling:
        if self.server.config.platform == "mt4":
            return Filling.FOK  # MQL4's OrderSend has no filling type: all or nothing
        filling = request.filling
        check_filling(spec, filling)
        return filling

    def _pending_filling(self, spec: SymbolSpec, request: TradeRequest) -> Filling:
        """A pending order's filling matters on exchange execution only; elsewhere the
        server keeps it as given (RETURN is what MT5's own order dialog sends)."""
        if spec.execution_mode == ExecutionMode.EXCHANGE:
            return self._filling(spec, request)
        return Filling.FOK if self.server.config.platform == "mt4" else request.filling

    def _check_requote(self, spec: SymbolSpec, request: TradeRequest, market: Decimal) -> None:
        instant = spec.execution_mode in (ExecutionMode.INSTANT, ExecutionMode.REQUEST)
        if instant and request.price <= 0:
            raise RefusedError(Retcode.INVALID_PRICE, "instant execution needs the request's price")
        moved = instant and abs(request.price - market) > request.deviation * spec.point
        if self.server.faults.take_requote() or moved:
            raise RefusedError(
                Retcode.REQUOTE, f"requote: the price is now {fixed(market, spec.digits)}"
            )

    def _fillable(self, spec: SymbolSpec, volume: Decimal, filling: Filling) -> Decimal:
        limit = self.server.faults.liquidity_lots
        if limit is None or volume <= limit:
            return volume
        available = limit - limit % spec.volume_step
        if filling == Filling.FOK or available <= 0:
            raise RefusedError(
                Retcode.REJECT, f"only {available} lots available: {filling.value} refused"
            )
        return available

    def _execute(
        self,
        request: TradeRequest,
        kind: OrderType,
        filling: Filling,
        volume: Decimal,
        price: Decimal,
        close: Position | None,
        now: int,
    ) -> dict[str, Any]:
        server = self.server
        order = server.open_order(
            Order(
                ticket=server.ledger.order_ticket(),
                symbol=request.symbol,
                type=kind,
                state=OrderState.STARTED,
                volume_initial=request.volume,
                volume_current=request.volume,
                price_open=price,
                magic=request.magic,
                comment=request.comment,
                time_setup_ms=now,
                sl=request.sl,
                tp=request.tp,
                type_filling=filling,
                position_id=close.ticket if close else 0,
            )
        )
        deal = server.fill(order, volume, price, DealReason.EXPERT, now, close)
        retcode = Retcode.DONE if order.volume_current == 0 else Retcode.DONE_PARTIAL
        if retcode == Retcode.DONE:
            server.finish(order, OrderState.FILLED, now)
        elif filling == Filling.IOC:
            server.finish(order, OrderState.PARTIAL, now)
        else:
            order.state = OrderState.PARTIAL  # RETURN: the rest waits for liquidity
            server.notifier.order(Transaction.ORDER_UPDATE, order, server.spec(order.symbol))
        order.result = self.answer(
            retcode, order.symbol, deal=deal.ticket, order=order.ticket, volume=volume, price=price
        )
        return order.result

    # -- TRADE_ACTION_PENDING

    def _pending(self, request: TradeRequest, now: int) -> dict[str, Any]:
        server = self.server
        spec = server.spec(request.symbol)
        kind = request.order_type
        if not kind.is_pending:
            raise RefusedError(Retcode.INVALID, f"{kind.value} is not a pending order type")
        if kind in STOP_LIMITS and server.config.platform == "mt4":
            raise RefusedError(Retcode.INVALID, "MT4 has no stop-limit orders")
        if not spec.order_mode & _MODE_OF[kind]:
            raise RefusedError(Retcode.INVALID, f"{kind.value} is not allowed for {spec.name}")
        server.check_trade_mode(spec, kind.is_buy, request.volume)
        self._market_open(spec)
        check_volume(spec, request.volume)
        check_normalized(
            spec, price=request.price, stoplimit=request.stoplimit, sl=request.sl, tp=request.tp
        )
        tick = server.market.tick(spec.name)
        check_pending_price(kind, tick, request.price, request.stoplimit)
        check_pending_distance(spec, kind, tick, request.price)
        opens_at = request.stoplimit if kind in STOP_LIMITS else request.price
        check_stops(spec, kind.is_buy, opens_at, request.sl, request.tp)
        filling = self._pending_filling(spec, request)
        order_time = request.order_time
        check_expiration(spec, order_time, request.expiration_ms, now)
        order = server.open_order(
            Order(
                ticket=server.ledger.order_ticket(),
                symbol=spec.name,
                type=kind,
                state=OrderState.PLACED,
                volume_initial=request.volume,
                volume_current=request.volume,
                price_open=request.price,
                magic=request.magic,
                comment=request.comment,
                time_setup_ms=now,
                price_stoplimit=request.stoplimit,
                sl=request.sl,
                tp=request.tp,
                type_filling=filling,
                type_time=order_time,
                expiration_ms=request.expiration_ms,
            )
        )
        order.result = self.answer(
            Retcode.PLACED,
            spec.name,
            order=order.ticket,
            volume=request.volume,
            price=request.price,
        )
        return order.result

    # -- TRADE_ACTION_MODIFY / _REMOVE

    def _active_order(self, ticket: int) -> Order:
        order = self.server.ledger.orders.get(ticket)
        if order is None or not order.active:
            raise RefusedError(Retcode.INVALID, f"no active order #{ticket}")
        return order

    def _modify(self, request: TradeRequest, now: int) -> dict[str, Any]:
        order = self._active_order(request.order)
        if not order.type.is_pending:
            raise RefusedError(Retcode.INVALID, f"order #{order.ticket} is not a pending order")
        spec = self.server.spec(order.symbol)
        self._market_open(spec)
        price = request.price or order.price_open
        stoplimit = request.stoplimit or order.price_stoplimit
        check_normalized(spec, price=price, stoplimit=stoplimit, sl=request.sl, tp=request.tp)
        order_time = request.order_time
        wanted = (price, stoplimit, request.sl, request.tp, order_time, request.expiration_ms)
        current = (
            order.price_open,
            order.price_stoplimit,
            order.sl,
            order.tp,
            order.type_time,
            order.expiration_ms,
        )
        if wanted == current:
            raise RefusedError(
                Retcode.NO_CHANGES, f"order #{order.ticket} already has these values"
            )
        tick = self.server.market.tick(spec.name)
        check_not_frozen(spec, market_side(order.type, tick), order.price_open)
        check_pending_price(order.type, tick, price, stoplimit)
        check_pending_distance(spec, order.type, tick, price)
        opens_at = stoplimit if order.type in STOP_LIMITS else price
        check_stops(spec, order.type.is_buy, opens_at, request.sl, request.tp)
        check_expiration(spec, order_time, request.expiration_ms, now)
        order.price_open, order.price_stoplimit, order.sl, order.tp = wanted[:4]
        order.type_time, order.expiration_ms = order_time, request.expiration_ms
        self.server.notifier.order(Transaction.ORDER_UPDATE, order, spec)
        return self.answer(Retcode.DONE, spec.name, order=order.ticket, price=price)

    def _remove(self, request: TradeRequest, now: int) -> dict[str, Any]:
        order = self._active_order(request.order)
        spec = self.server.spec(order.symbol)
        self._market_open(spec)
        tick = self.server.market.ticks.get(spec.name)
        if tick is not None and order.type.is_pending:
            check_not_frozen(spec, market_side(order.type, tick), order.price_open)
        self.server.finish(order, OrderState.CANCELED, now)
        return self.answer(Retcode.DONE, spec.name, order=order.ticket)

    # -- TRADE_ACTION_SLTP / _CLOSE_BY

    def _sltp(self, request: TradeRequest, now: int) -> dict[str, Any]:
        if request.position or self.server.config.hedging:
            position = self._position(request.position)
        else:
            found = self.server.netting_position(request.symbol)
            if found is None:
                raise RefusedError(Retcode.INVALID, f"no position on {request.symbol!r}")
            position = found
        spec = self.server.spec(position.symbol)
        self._market_open(spec)
        check_normalized(spec, sl=request.sl, tp=request.tp)
        if (request.sl, request.tp) == (position.sl, position.tp):
            raise RefusedError(
                Retcode.NO_CHANGES, f"position #{position.ticket} already has these stops"
            )
        closing = close_price(position, self.server.market)
        check_not_frozen(spec, closing, position.sl, position.tp)
        check_stops(spec, position.is_buy, closing, request.sl, request.tp)
        position.sl, position.tp, position.time_update_ms = request.sl, request.tp, now
        self.server.notifier.position(position.ticket, position.symbol)
        return self.answer(Retcode.DONE, spec.name)

    def _close_by(self, request: TradeRequest, now: int) -> dict[str, Any]:
        server = self.server
        if not server.config.hedging:
            raise RefusedError(Retcode.INVALID, "close-by needs a hedging account")
        first, by = self._position(request.position), self._position(request.position_by)
        if first.symbol != by.symbol or first.is_buy == by.is_buy:
            raise RefusedError(
                Retcode.INVALID,
                f"#{first.ticket} and #{by.ticket} are not opposite positions of one symbol",
            )
        spec = server.spec(first.symbol)
        self._market_open(spec)
        volume = min(first.volume, by.volume)
        order = server.open_order(
            Order(
                ticket=server.ledger.order_ticket(),
                symbol=spec.name,
                type=OrderType.CLOSE_BY,
                state=OrderState.STARTED,
                volume_initial=volume,
                volume_current=volume,
                price_open=by.price_open,
                magic=request.magic,
                comment=request.comment,
                time_setup_ms=now,
                position_id=first.ticket,
                position_by_id=by.ticket,
            )
        )
        deal = server.close_by(order, first, volume, now)
        server.close_by(order, by, volume, now)
        order.volume_current = Decimal(0)
        server.finish(order, OrderState.FILLED, now)
        return self.answer(
            Retcode.DONE,
            spec.name,
            deal=deal.ticket,
            order=order.ticket,
            volume=volume,
            price=order.price_open,
        )
