"""The simulated terminal's engine: the EA's side of every operation in the bridge protocol
(docs/mt5-bridge-protocol.md, "Operations"), over a trade server faithful to MetaTrader's
semantics, with no network of its own (terminal.py puts it behind a link).

Every public method takes `lock`: the link's thread (requests) and the quote thread (ticks)
both call in. Events go out through `emit(event, data)` while the lock is held, in the
order they happen.

The EA's duplicate guard runs before `OrderSend`: a DEAL or PENDING request whose comment
key and magic match an active order, a position or a history order of the last 7 days is
answered with that order's first result and `duplicate: true`, and nothing is sent. A
request that passes the guard and AutoTrading (10027, checked in the terminal) is counted
as sent to the trade server (`requests_with_key`). A market request without a price is
priced by the EA at the current ask (buy) or bid (sell) before it is sent, so the adapter
may leave the price to the terminal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from execution_engine.adapters.mt5.codes import (
    Action,
    ErrorCode,
    Event,
    Op,
    OpError,
    OrderState,
    OrderType,
    Retcode,
)
from execution_engine.adapters.mt5.keys import key_of
from execution_engine.adapters.mt5.sim import swaps, triggers
from execution_engine.adapters.mt5.sim.checks import TradeRequest, expiry_ms

# Re-exported (`as` form): callers build an engine from this module alone.
from execution_engine.adapters.mt5.sim.config import EngineConfig as EngineConfig
from execution_engine.adapters.mt5.sim.config import SymbolSpec as SymbolSpec
from execution_engine.adapters.mt5.sim.events import Emit, Notifier
from execution_engine.adapters.mt5.sim.faults import EngineFaults
from execution_engine.adapters.mt5.sim.formats import fixed, int_arg, money, str_arg
from execution_engine.adapters.mt5.sim.history import Order
from execution_engine.adapters.mt5.sim.market import TIMEFRAME_MS, Bar, Tick
from execution_engine.adapters.mt5.sim.server import TradeServer
from execution_engine.adapters.mt5.sim.trading import TradeDesk

GUARD_DAYS_MS = 7 * 86_400_000
_GUARDED = (Action.DEAL.value, Action.PENDING.value)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _no_events(event: str, data: dict[str, Any]) -> None:
    """The default sink: an engine nobody listens to."""


class TerminalEngine:
    def __init__(
        self,
        config: EngineConfig,
        emit: Emit = _no_events,
        clock_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.faults = EngineFaults()
        self._clock_ms = clock_ms
        self._notifier = Notifier(emit, self.faults)
        self._server = TradeServer(config, self.faults, self._notifier, clock_ms)
        self._desk = TradeDesk(self._server)
        self._ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            Op.ACCOUNT_INFO: self._account_info,
            Op.SYMBOLS: self._symbols,
            Op.SUBSCRIBE: self._subscribe,
            Op.UNSUBSCRIBE: self._unsubscribe,
            Op.TICK: self._tick,
            Op.RATES: self._rates,
            Op.ORDER_SEND: self._order_send,
            Op.POSITIONS: self._positions,
            Op.ORDERS: self._orders,
            Op.HISTORY_ORDERS: self._history_orders,
            Op.HISTORY_DEALS: self._history_deals,
        }

    # -- the protocol's operations

    def handle(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        """`req.op` with `req.args` → `res.data`; refused with `OpError`."""
        handler = self._ops.get(op)
        if handler is None:
            raise OpError(ErrorCode.UNKNOWN_OP, f"the EA executes no operation {op!r}")
        if not isinstance(args, dict):
            raise OpError(ErrorCode.BAD_ARGS, f"args of {op} must be an object")
        with self.lock:
            return handler(args)

    def _spec(self, symbol: str) -> SymbolSpec:
        spec = self._server.market.specs.get(symbol)
        if spec is None:
            raise OpError(ErrorCode.UNKNOWN_SYMBOL, f"the terminal has no symbol {symbol!r}")
        return spec

    def _names(self, args: dict[str, Any], field: str) -> list[str]:
        names = args.get(field)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise OpError(ErrorCode.BAD_ARGS, f"{field} must be a list of symbol names")
        for name in names:
            self._spec(name)
        return names

    def _account_info(self, args: dict[str, Any]) -> dict[str, Any]:
        config = self.config
        return {
            "login": config.login,
            "broker": config.broker,
            "currency": config.currency,
            "leverage": config.leverage,
            **self._server.account.snapshot().row(),
            "margin_so_call": money(config.margin_so_call),
            "margin_so_so": money(config.margin_so_so),
            "margin_mode": config.margin_mode.value,
            "trade_allowed": self._server.trade_allowed,
            "company": config.company,
        }

    def _symbols(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("names") is None:
            specs = list(self._server.market.specs.values())
        else:
            specs = [self._spec(name) for name in self._names(args, "names")]
        return {"symbols": [symbol_row(spec) for spec in specs]}

    def _subscribe(self, args: dict[str, Any]) -> dict[str, Any]:
        self._server.market.subscribed.update(self._names(args, "symbols"))
        return {"symbols": sorted(self._server.market.subscribed)}

    def _unsubscribe(self, args: dict[str, Any]) -> dict[str, Any]:
        self._server.market.subscribed.difference_update(self._names(args, "symbols"))
        return {"symbols": sorted(self._server.market.subscribed)}

    def _tick(self, args: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec(str_arg(args, "symbol"))
        tick = self._server.market.ticks.get(spec.name)
        return {"tick": tick_row(spec, tick) if tick else None}

    def _rates(self, args: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec(str_arg(args, "symbol"))
        timeframe = str_arg(args, "timeframe")
        if timeframe not in TIMEFRAME_MS:
            raise OpError(ErrorCode.BAD_ARGS, f"timeframe must be one of {list(TIMEFRAME_MS)}")
        count = int_arg(args, "count", -1)
        if count < 0:
            raise OpError(ErrorCode.BAD_ARGS, "count must be a non-negative integer")
        to_ms = args.get("to_ms")
        to = None if to_ms is None else int_arg(args, "to_ms")
        bars = self._server.market.rates(spec.name, TIMEFRAME_MS[timeframe], count, to)
        return {"rates": [rate_row(spec, bar) for bar in bars]}

    def _order_send(self, args: dict[str, Any]) -> dict[str, Any]:
        request = TradeRequest.parse(args)
        earlier = self._duplicate_of(request)
        if earlier is not None:
            return earlier
        if not self._server.trade_allowed:
            return self._desk.answer(Retcode.CLIENT_DISABLES_AT, request.symbol)
        key = key_of(request.comment)
        if key is not None:
            self._notifier.sent_keys[key] += 1
        answer = self._desk.send(self._priced(request))
        self._account_changed(from_tick=False)
        return answer

    def _priced(self, request: TradeRequest) -> TradeRequest:
        """A market request sent without a price gets the current ask (buy) or bid (sell),
        as the EA reads them with SymbolInfoTick before OrderSend."""
        tick = self._server.market.ticks.get(request.symbol)
        if request.action != Action.DEAL.value or request.price > 0 or tick is None:
            return request
        buying = request.type == OrderType.BUY.value
        return dataclasses.replace(request, price=tick.ask if buying else tick.bid)

    def _duplicate_of(self, request: TradeRequest) -> dict[str, Any] | None:
        key = key_of(request.comment)
        if key is None or request.action not in _GUARDED:
            return None
        since = self._clock_ms() - GUARD_DAYS_MS
        ledger = self._server.ledger
        for order in ledger.with_key(key):
            recent = order.active or order.time_done_ms >= since
            if recent and order.magic == request.magic:
                return self._earlier_result(order)
        for position in self._server.account.positions.values():
            if position.magic == request.magic and position.comment.startswith(key):
                return self._earlier_result(ledger.orders[position.ticket])
        return None

    def _earlier_result(self, order: Order) -> dict[str, Any]:
        earlier = (
            dict(order.result)
            if order.result
            else self._desk.answer(
                Retcode.DONE, order.symbol, order=order.ticket, volume=order.volume_initial
            )
        )
        return {**earlier, "duplicate": True}

    def _positions(self, args: dict[str, Any]) -> dict[str, Any]:
        symbol, magic = _text(args, "symbol"), _number(args, "magic")
        account = self._server.account
        rows = [
            account.position_row(p)
            for p in account.positions.values()
            if (symbol is None or p.symbol == symbol) and (magic is None or p.magic == magic)
        ]
        return {"positions": rows}

    def _orders(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self._server.ledger.find_active(
            symbol=_text(args, "symbol"),
            magic=_number(args, "magic"),
            comment=_text(args, "comment"),
        )
        return {"orders": [self._order_row(order) for order in found]}

    def _history_orders(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self._server.ledger.find_history(
            from_ms=_number(args, "from_ms"),
            to_ms=_number(args, "to_ms"),
            comment=_text(args, "comment"),
            ticket=_number(args, "ticket"),
        )
        return {"orders": [self._order_row(order) for order in found]}

    def _history_deals(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self._server.ledger.find_deals(
            from_ms=_number(args, "from_ms"),
            to_ms=_number(args, "to_ms"),
            comment=_text(args, "comment"),
            order=_number(args, "order"),
            position=_number(args, "position"),
        )
        return {"deals": [deal.row(self._spec(deal.symbol)) for deal in found]}

    def _order_row(self, order: Order) -> dict[str, Any]:
        return order.row(self._spec(order.symbol))

    # -- what happens outside requests

    def push_tick(
        self, symbol: str, bid: Decimal, ask: Decimal, time_ms: int | None = None
    ) -> None:
        """A quote from the broker: `ticks` (and a `bar` for each timeframe whose bar it
        closed) when subscribed, then what it triggers on the trade server."""
        with self.lock:
            spec = self._spec(symbol)
            if not (0 < bid <= ask):
                raise OpError(
                    ErrorCode.BAD_ARGS, f"{symbol}: bid {bid} and ask {ask} are not a quote"
                )
            tick = Tick(symbol, self._clock_ms() if time_ms is None else time_ms, bid, ask)
            closed = self._server.market.record(tick)
            if symbol in self._server.market.subscribed:
                self._notifier.emit(Event.TICKS, {"ticks": [tick_row(spec, tick)]})
                for timeframe, bar in closed:
                    rate = rate_row(spec, bar)
                    self._notifier.emit(
                        Event.BAR, {"symbol": symbol, "timeframe": timeframe, "rate": rate}
                    )
            deals_before = len(self._server.ledger.deals)
            triggers.on_tick(self._server, tick)
            traded = len(self._server.ledger.deals) != deals_before
            self._account_changed(from_tick=not traded)

    def expire_due(self) -> int:
        """The trade server's own clock: pending orders whose expiry has passed expire now,
        with or without a tick (a quiet market does not keep a GTD order alive); how many."""
        with self.lock:
            now = self._clock_ms()
            due = [
                order
                for order in self._server.ledger.find_active()
                if order.type.is_pending
                and (ends := expiry_ms(order.type_time, order.time_setup_ms, order.expiration_ms))
                is not None
                and now >= ends
            ]
            for order in due:
                self._server.finish(order, OrderState.EXPIRED, now)
            if due:
                self._account_changed(from_tick=False)
            return len(due)

    def set_trade_allowed(self, allowed: bool) -> None:
        """The terminal's AutoTrading button."""
        with self.lock:
            if allowed == self._server.trade_allowed:
                return
            self._server.trade_allowed = allowed
            self._notifier.emit(Event.TERMINAL, {"trade_allowed": allowed, "connected": True})

    def rollover(self, weekday: int | None = None) -> None:
        """The broker's daily swap charge; `weekday` (Monday 0) defaults to today's, UTC."""
        with self.lock:
            if weekday is None:
                now = dt.datetime.fromtimestamp(self._clock_ms() / 1000, dt.UTC)
                weekday = now.weekday()
            swaps.rollover(self._server, weekday)
            self._account_changed(from_tick=False)

    def _account_changed(self, *, from_tick: bool) -> None:
        now = self._clock_ms()
        if self._notifier.account_due(now, from_tick=from_tick):
            self._notifier.account(self._server.account.snapshot(), now)

    # -- inspection (tests, the conformance kit)

    def net_volume(self, symbol: str) -> Decimal:
        """Open lots on `symbol`, buys positive."""
        with self.lock:
            return sum(
                (
                    p.volume if p.is_buy else -p.volume
                    for p in self._server.account.positions.values()
                    if p.symbol == symbol
                ),
                start=Decimal(0),
            )

    def contract_size(self, symbol: str) -> Decimal:
        """Units per lot of `symbol` (UNKNOWN_SYMBOL when the terminal has none)."""
        return self._spec(symbol).contract_size

    def requests_with_key(self, key: str) -> int:
        with self.lock:
            return self._notifier.sent_keys[key]

    def deal_events_with_key(self, key: str) -> list[bool]:
        with self.lock:
            return list(self._notifier.deal_events.get(key, []))


def _number(args: dict[str, Any], name: str) -> int | None:
    """An optional integer filter (a wrong type is BAD_ARGS)."""
    return None if args.get(name) is None else int_arg(args, name)


def _text(args: dict[str, Any], name: str) -> str | None:
    return None if args.get(name) is None else str_arg(args, name)


def symbol_row(spec: SymbolSpec) -> dict[str, Any]:
    volume_digits = spec.volume_digits
    return {
        "name": spec.name,
        "description": spec.description,
        "currency_base": spec.currency_base,
        "currency_profit": spec.currency_profit,
        "currency_margin": spec.currency_margin,
        "digits": spec.digits,
        "point": fixed(spec.point, spec.digits),
        "contract_size": f"{spec.contract_size.normalize():f}",
        "volume_min": fixed(spec.volume_min, volume_digits),
        "volume_max": fixed(spec.volume_max, volume_digits),
        "volume_step": fixed(spec.volume_step, volume_digits),
        "stops_level": spec.stops_level,
        "freeze_level": spec.freeze_level,
        "filling_mode": spec.filling_mode,
        "execution_mode": spec.execution_mode.value,
        "trade_mode": spec.trade_mode.value,
        "order_mode": spec.order_mode,
        "expiration_mode": spec.expiration_mode,
        "margin_initial": money(spec.margin_initial),
        "swap_long": money(spec.swap_long),
        "swap_short": money(spec.swap_short),
    }


def tick_row(spec: SymbolSpec, tick: Tick) -> list[Any]:
    """[symbol, time_ms, bid, ask, last, volume]: FX has no last price and no volume."""
    digits = spec.digits
    no_last, no_volume = _zeros(digits, spec.volume_digits)
    return [
        spec.name,
        tick.time_ms,
        fixed(tick.bid, digits),
        fixed(tick.ask, digits),
        no_last,
        no_volume,
    ]


@functools.cache
def _zeros(digits: int, volume_digits: int) -> tuple[str, str]:
    return fixed(Decimal(0), digits), fixed(Decimal(0), volume_digits)


def rate_row(spec: SymbolSpec, bar: Bar) -> list[Any]:
    """[time_ms, open, high, low, close, tick_volume, spread, real_volume] (counts as ints)."""
    prices = [fixed(p, spec.digits) for p in (bar.open, bar.high, bar.low, bar.close)]
    return [bar.time_ms, *prices, bar.tick_volume, bar.spread, 0]
