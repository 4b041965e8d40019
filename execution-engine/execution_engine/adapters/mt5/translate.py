"""NautilusTrader orders → `MqlTradeRequest` dicts (docs/mt5-bridge-protocol.md), and the
checks that refuse an order before anything is sent.

An order MetaTrader cannot carry as asked raises `OrderRefusedError` with a one-line reason and the
execution client rejects it with that reason, sending nothing: MetaTrader has no trailing or
if-touched orders, no at-the-open/close, no stop-limit on MT4, and a pending order with IOC or
FOK only on exchange-execution symbols. Prices and volumes go out as decimal strings at the
symbol's digits and the volume step's digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nautilus_trader.model.enums import OrderSide, OrderType, TimeInForce
from nautilus_trader.model.orders import Order

from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.codes import (
    EXPIRATION_FLAGS,
    FILLING_FLAGS,
    ORDER_MODE_FLAGS,
    Action,
    ExecutionMode,
    Filling,
    OrderTime,
    TradeMode,
)
from execution_engine.adapters.mt5.codes import OrderType as MtOrderType
from execution_engine.adapters.mt5.providers import Spec, decimal_field, is_step_multiple, lots

_NS_PER_MS = 1_000_000

# (order type, is buy) → MetaTrader's type; the order-mode flag the symbol must allow.
_TYPES: dict[tuple[OrderType, bool], MtOrderType] = {
    (OrderType.MARKET, True): MtOrderType.BUY,
    (OrderType.MARKET, False): MtOrderType.SELL,
    (OrderType.LIMIT, True): MtOrderType.BUY_LIMIT,
    (OrderType.LIMIT, False): MtOrderType.SELL_LIMIT,
    (OrderType.STOP_MARKET, True): MtOrderType.BUY_STOP,
    (OrderType.STOP_MARKET, False): MtOrderType.SELL_STOP,
    (OrderType.STOP_LIMIT, True): MtOrderType.BUY_STOP_LIMIT,
    (OrderType.STOP_LIMIT, False): MtOrderType.SELL_STOP_LIMIT,
}
_MODE_FLAG = {
    OrderType.MARKET: ORDER_MODE_FLAGS["market"],
    OrderType.LIMIT: ORDER_MODE_FLAGS["limit"],
    OrderType.STOP_MARKET: ORDER_MODE_FLAGS["stop"],
    OrderType.STOP_LIMIT: ORDER_MODE_FLAGS["stop_limit"],
}
_PENDING_TIME = {
    TimeInForce.GTC: OrderTime.GTC,
    TimeInForce.DAY: OrderTime.DAY,
    TimeInForce.GTD: OrderTime.SPECIFIED,
}
_MARKET_TIFS = (TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK)


class OrderRefusedError(ValueError):
    """An order MetaTrader cannot take as asked; the message is the rejection's reason."""


@dataclass(frozen=True)
class SendTerms:
    """What every request of one node carries: its magic, the price deviation it accepts
    on market orders (points), and the terminal's platform."""

    magic: int
    deviation_points: int
    platform: str  # "mt5" or "mt4"


def check_volume(order: Order, spec: Spec) -> Decimal:
    """The order's quantity in lots; OrderRefusedError when it is not a whole number of volume steps."""
    volume = lots(order.quantity, spec)
    if not is_step_multiple(volume, spec):
        step = decimal_field(spec, "volume_step")
        raise OrderRefusedError(
            f"quantity {order.quantity} ({volume.normalize():f} lots) is not a multiple of "
            f"the volume step {step.normalize():f} lots of {spec['name']}"
        )
    return volume


def trade_request(
    order: Order,
    spec: Spec,
    terms: SendTerms,
    *,
    quote: tuple[Decimal, Decimal] | None,
    position: int | None = None,
) -> dict[str, Any]:
    """The DEAL (market) or PENDING request for `order`; `quote` (bid, ask) prices a market
    order (omitted without one: the EA prices it); `position` closes that hedging ticket."""
    _check_symbol(spec, order)
    mt_type = _mt_type(order, spec, terms)
    request: dict[str, Any] = {
        "action": (Action.PENDING if mt_type.is_pending else Action.DEAL).value,
        "magic": terms.magic,
        "symbol": spec["name"],
        "volume": volume_text(check_volume(order, spec), spec),
        "type": mt_type.value,
        "comment": keys.comment_key(order.client_order_id.value),
    }
    if mt_type.is_pending:
        request.update(_pending_terms(order, spec))
    else:
        request.update(_market_terms(order, spec))
        request["deviation"] = terms.deviation_points
        if quote is not None:
            request["price"] = price_text(
                quote[1] if order.side == OrderSide.BUY else quote[0], spec
            )
    if position is not None:
        request["position"] = position
    return request


def modify_request(
    order: Order,
    spec: Spec,
    ticket: int,
    *,
    price: Decimal | None,
    trigger: Decimal | None,
    expire_ns: int | None,
) -> dict[str, Any]:
    """TRADE_ACTION_MODIFY of pending order `ticket`: new price, trigger or expiration (the
    order's own where not given). A stop-limit's `price` is its trigger, `stoplimit` its limit."""
    current_price = order.price.as_decimal() if order.has_price else None
    current_trigger = order.trigger_price.as_decimal() if order.has_trigger_price else None
    new_price = price if price is not None else current_price
    new_trigger = trigger if trigger is not None else current_trigger
    request: dict[str, Any] = {"action": Action.MODIFY.value, "order": ticket}
    if order.order_type == OrderType.LIMIT:
        request["price"] = price_text(_given(new_price, "price"), spec)
    elif order.order_type == OrderType.STOP_MARKET:
        request["price"] = price_text(_given(new_trigger, "trigger price"), spec)
    elif order.order_type == OrderType.STOP_LIMIT:
        request["price"] = price_text(_given(new_trigger, "trigger price"), spec)
        request["stoplimit"] = price_text(_given(new_price, "price"), spec)
    else:
        raise OrderRefusedError(f"a {order.order_type.name} order is not a pending order to modify")
    request.update(_time_terms(order, expire_ns))
    return request


def remove_request(ticket: int) -> dict[str, Any]:
    """TRADE_ACTION_REMOVE of pending order `ticket`."""
    return {"action": Action.REMOVE.value, "order": ticket}


def price_text(value: Decimal, spec: Spec) -> str:
    return f"{value:.{int(spec['digits'])}f}"


def volume_text(volume: Decimal, spec: Spec) -> str:
    step_digits = -min(0, _exponent(decimal_field(spec, "volume_step")))
    return f"{volume:.{step_digits}f}"


def _exponent(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _check_symbol(spec: Spec, order: Order) -> None:
    if spec.get("trade_mode") == TradeMode.DISABLED.value:
        raise OrderRefusedError(
            f"trading is disabled on {spec['name']} (SYMBOL_TRADE_MODE_DISABLED)"
        )


def _mt_type(order: Order, spec: Spec, terms: SendTerms) -> MtOrderType:
    mt_type = _TYPES.get((order.order_type, order.side == OrderSide.BUY))
    if mt_type is None:
        raise OrderRefusedError(f"MetaTrader has no {order.order_type.name} orders")
    if order.order_type == OrderType.STOP_LIMIT and terms.platform == "mt4":
        raise OrderRefusedError("MetaTrader 4 has no stop-limit orders")
    modes = spec.get("order_mode")
    if isinstance(modes, int) and modes and not modes & _MODE_FLAG[order.order_type]:
        raise OrderRefusedError(f"{spec['name']} does not allow {order.order_type.name} orders")
    return mt_type


def _market_terms(order: Order, spec: Spec) -> dict[str, Any]:
    tif = order.time_in_force
    if tif not in _MARKET_TIFS:
        raise OrderRefusedError(f"MetaTrader has no market orders with time in force {tif.name}")
    allowed = _filling_flags(spec)
    if tif in (TimeInForce.FOK, TimeInForce.IOC):
        filling = Filling.FOK if tif == TimeInForce.FOK else Filling.IOC
        if allowed and not allowed & FILLING_FLAGS[filling]:
            raise OrderRefusedError(f"{spec['name']} does not allow {tif.name} filling")
        return {"type_filling": filling.value}
    return {"type_filling": _default_filling(spec, allowed).value}


def _default_filling(spec: Spec, allowed: int) -> Filling:
    """GTC/DAY market orders: the symbol's allowed filling, FOK first; RETURN where it is
    always allowed (outside market execution) and neither flag is set."""
    if allowed & FILLING_FLAGS[Filling.FOK]:
        return Filling.FOK
    if allowed & FILLING_FLAGS[Filling.IOC]:
        return Filling.IOC
    if spec.get("execution_mode") == ExecutionMode.MARKET.value:
        return Filling.FOK
    return Filling.RETURN


def _filling_flags(spec: Spec) -> int:
    flags = spec.get("filling_mode")
    return flags if isinstance(flags, int) else 0


def _pending_terms(order: Order, spec: Spec) -> dict[str, Any]:
    terms: dict[str, Any] = {}
    if order.order_type == OrderType.LIMIT:
        terms["price"] = price_text(order.price.as_decimal(), spec)
    elif order.order_type == OrderType.STOP_MARKET:
        terms["price"] = price_text(order.trigger_price.as_decimal(), spec)
    else:  # STOP_LIMIT: MetaTrader's price is the trigger, stoplimit the limit
        terms["price"] = price_text(order.trigger_price.as_decimal(), spec)
        terms["stoplimit"] = price_text(order.price.as_decimal(), spec)
    tif = order.time_in_force
    if tif in (TimeInForce.IOC, TimeInForce.FOK):
        if spec.get("execution_mode") != ExecutionMode.EXCHANGE.value:
            raise OrderRefusedError(
                f"a pending order with {tif.name} is only possible on an exchange-execution "
                f"symbol; {spec['name']} is not one"
            )
        filling = Filling.FOK if tif == TimeInForce.FOK else Filling.IOC
        terms.update({"type_filling": filling.value, "type_time": OrderTime.GTC.value})
        return terms
    terms["type_filling"] = Filling.RETURN.value
    terms.update(_time_terms(order, None))
    _check_expiration(terms["type_time"], spec)
    return terms


def _time_terms(order: Order, expire_ns: int | None) -> dict[str, Any]:
    tif = order.time_in_force
    order_time = _PENDING_TIME.get(tif)
    if order_time is None:
        raise OrderRefusedError(f"MetaTrader has no pending orders with time in force {tif.name}")
    terms: dict[str, Any] = {"type_time": order_time.value}
    if order_time is OrderTime.SPECIFIED:
        expire = expire_ns if expire_ns is not None else int(order.expire_time_ns or 0)
        if expire <= 0:
            raise OrderRefusedError("a GTD order needs an expire time")
        terms["expiration_ms"] = expire // _NS_PER_MS
    return terms


def _check_expiration(type_time: str, spec: Spec) -> None:
    flags = spec.get("expiration_mode")
    wanted = EXPIRATION_FLAGS[OrderTime(type_time)]
    if isinstance(flags, int) and flags and not flags & wanted:
        raise OrderRefusedError(f"{spec['name']} does not allow {type_time} expiration")


def _given(value: Decimal | None, what: str) -> Decimal:
    if value is None:
        raise OrderRefusedError(f"the order has no {what} to modify")
    return value
