"""What a tick sets off on the trade server, in this order: pending orders expire (DAY at
the end of the UTC day, SPECIFIED at their time, SPECIFIED_DAY at the end of that day), the
rest of RETURN market orders fill as liquidity allows, stop-limits turn into limits, limits
and stops activate (a limit at its price or better, a stop at the market), positions' SL
and TP close them, and last the stop-out closes the most losing position first
(DEAL_REASON_SO) until the margin level is back above `margin_so_so`.

A pending order that activates without the free margin for it is rejected
(ORDER_STATE_REJECTED), as MT5's server does; a closed market triggers nothing.
"""

from __future__ import annotations

from decimal import Decimal

from execution_engine.adapters.mt5.codes import (
    DealReason,
    Event,
    OrderState,
    OrderType,
    Transaction,
)
from execution_engine.adapters.mt5.sim.account import Position
from execution_engine.adapters.mt5.sim.checks import RefusedError, expiry_ms
from execution_engine.adapters.mt5.sim.formats import fixed, money
from execution_engine.adapters.mt5.sim.history import Order
from execution_engine.adapters.mt5.sim.market import Tick
from execution_engine.adapters.mt5.sim.server import TradeServer

_BECOMES = {
    OrderType.BUY_STOP_LIMIT: OrderType.BUY_LIMIT,
    OrderType.SELL_STOP_LIMIT: OrderType.SELL_LIMIT,
}


def _reached(kind: OrderType, price: Decimal, tick: Tick) -> bool:
    return {
        OrderType.BUY_LIMIT: tick.ask <= price,
        OrderType.SELL_LIMIT: tick.bid >= price,
        OrderType.BUY_STOP: tick.ask >= price,
        OrderType.SELL_STOP: tick.bid <= price,
        OrderType.BUY_STOP_LIMIT: tick.ask >= price,
        OrderType.SELL_STOP_LIMIT: tick.bid <= price,
    }.get(kind, False)


def on_tick(server: TradeServer, tick: Tick) -> None:
    if tick.symbol in server.faults.market_closed:
        return
    for order in server.ledger.find_active(symbol=tick.symbol):
        _work_order(server, order, tick)
    for position in [p for p in server.account.positions.values() if p.symbol == tick.symbol]:
        _check_stops(server, position, tick)
    stop_out(server, tick.time_ms)


def _work_order(server: TradeServer, order: Order, tick: Tick) -> None:
    ends = expiry_ms(order.type_time, order.time_setup_ms, order.expiration_ms)
    if order.type.is_pending and ends is not None and tick.time_ms >= ends:
        server.finish(order, OrderState.EXPIRED, tick.time_ms)
        return
    if order.type in (OrderType.BUY, OrderType.SELL):
        _fill_remainder(server, order, tick)
        return
    if order.type in _BECOMES and _reached(order.type, order.price_open, tick):
        order.type, order.price_open = _BECOMES[order.type], order.price_stoplimit
        server.notifier.order(Transaction.ORDER_UPDATE, order, server.spec(order.symbol))
    if _reached(order.type, order.price_open, tick):
        _activate(server, order, tick)


def _activate(server: TradeServer, order: Order, tick: Tick) -> None:
    spec = server.spec(order.symbol)
    is_buy = order.type.is_buy
    try:
        opening = server.opening_volume(order.symbol, is_buy, order.volume_current, closes=False)
        server.check_margin(spec, opening)
    except RefusedError:
        server.finish(order, OrderState.REJECTED, tick.time_ms)
        return
    price = tick.ask if is_buy else tick.bid
    server.fill(order, order.volume_current, price, DealReason.EXPERT, tick.time_ms)
    server.finish(order, OrderState.FILLED, tick.time_ms)


def _fill_remainder(server: TradeServer, order: Order, tick: Tick) -> None:
    """A RETURN market order's rest: as much as the tick's liquidity allows."""
    spec = server.spec(order.symbol)
    limit = server.faults.liquidity_lots
    volume = order.volume_current
    if limit is not None:
        volume = min(volume, limit - limit % spec.volume_step)
    if volume <= 0:
        return
    price = tick.ask if order.type.is_buy else tick.bid
    server.fill(order, volume, price, DealReason.EXPERT, tick.time_ms)
    if order.volume_current == 0:
        server.finish(order, OrderState.FILLED, tick.time_ms)


def _check_stops(server: TradeServer, position: Position, tick: Tick) -> None:
    price = tick.bid if position.is_buy else tick.ask
    spec = server.spec(position.symbol)
    hit_sl = position.sl > 0 and (price <= position.sl if position.is_buy else price >= position.sl)
    hit_tp = position.tp > 0 and (price >= position.tp if position.is_buy else price <= position.tp)
    if hit_sl:
        comment = f"[sl {fixed(position.sl, spec.digits)}]"
        server.close_position(position, DealReason.SL, comment, tick.time_ms)
    elif hit_tp:
        comment = f"[tp {fixed(position.tp, spec.digits)}]"
        server.close_position(position, DealReason.TP, comment, tick.time_ms)


def stop_out(server: TradeServer, now: int) -> None:
    """Close the most losing position while the margin level is at or below stop-out."""
    threshold = server.config.margin_so_so
    snapshot = server.account.snapshot()
    if snapshot.margin <= 0 or snapshot.level > threshold:
        return
    level, closed = snapshot.level, []
    while server.account.positions:
        worst = min(server.account.positions.values(), key=server.account.floating)
        server.close_position(worst, DealReason.SO, f"[so {money(level)}%]", now)
        closed.append(worst.ticket)
        snapshot = server.account.snapshot()
        if snapshot.margin <= 0 or snapshot.level > threshold:
            break
    server.notifier.emit(Event.STOP_OUT, {"margin_level": money(level), "positions": closed})
