"""An `MqlTradeRequest` as the EA hands it to `OrderSend`, and the checks the terminal and
the trade server make on it, each refusing with its `TRADE_RETCODE_*` (a `RefusedError`).

What the MQL5 reference leaves open, and what the simulator answers:
- A symbol the terminal does not have: 10013 (invalid request); MT5's `OrderSend` fails the
  same way (`GetLastError` 4301, unknown symbol) and the server never sees the request.
- A request the EA cannot even build (a price that is not a decimal string, a field of the
  wrong type) is not a trade request at all: `OpError BAD_ARGS`, nothing is sent.
- An unknown `action`, `type`, `type_filling` or `type_time` name: 10013.
- A pending order's price closer to the market than `stops_level`: 10015, as its wrong side
  is (MQL4 reports both as error 130; MQL5's reference names no retcode of its own).
- `freeze_level`: a pending order whose price, or a position whose SL or TP, is within it of
  the market cannot be modified or removed: 10029 (frozen).
- Stops on MT5 are checked against the price that closes the position (bid for a buy,
  ask for a sell) for market requests and against the order's price for pending ones; with
  `stops_level` 0 a stop must still be strictly on its side of that price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from execution_engine.adapters.mt5.codes import (
    EXPIRATION_FLAGS,
    FILLING_FLAGS,
    Action,
    ErrorCode,
    ExecutionMode,
    Filling,
    OpError,
    OrderTime,
    OrderType,
    Retcode,
)
from execution_engine.adapters.mt5.sim.config import SymbolSpec
from execution_engine.adapters.mt5.sim.formats import (
    decimal_arg,
    fixed,
    int_arg,
    is_multiple,
    str_arg,
)
from execution_engine.adapters.mt5.sim.market import Tick

MAX_COMMENT = 31  # MqlTradeRequest.comment: the server keeps 31 characters
DAY_MS = 86_400_000


class RefusedError(Exception):
    """The request is answered with `retcode` and `comment`, and nothing else happens."""

    def __init__(self, retcode: Retcode, comment: str = "") -> None:
        super().__init__(f"{retcode.value} {comment or retcode.text}")
        self.retcode = retcode
        self.comment = comment or retcode.text


E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], raw: str, field: str) -> E:
    try:
        return kind(raw)
    except ValueError:
        raise RefusedError(Retcode.INVALID, f"unknown {field} {raw!r}") from None


@dataclass(frozen=True)
class TradeRequest:
    action: str
    symbol: str
    type: str
    type_filling: str
    type_time: str
    magic: int = 0
    order: int = 0
    volume: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    stoplimit: Decimal = Decimal(0)
    sl: Decimal = Decimal(0)
    tp: Decimal = Decimal(0)
    deviation: int = 0
    expiration_ms: int = 0
    comment: str = ""
    position: int = 0
    position_by: int = 0

    @classmethod
    def parse(cls, args: dict[str, Any]) -> TradeRequest:
        """The request inside `order_send`'s args; a field of the wrong type is BAD_ARGS."""
        raw = args.get("request")
        if not isinstance(raw, dict):
            raise OpError(ErrorCode.BAD_ARGS, "order_send needs `request`: an MqlTradeRequest")
        return cls(
            action=str_arg(raw, "action"),
            symbol=str_arg(raw, "symbol"),
            type=str_arg(raw, "type", OrderType.BUY.value),
            type_filling=str_arg(raw, "type_filling", Filling.FOK.value),
            type_time=str_arg(raw, "type_time", OrderTime.GTC.value),
            magic=int_arg(raw, "magic"),
            order=int_arg(raw, "order"),
            volume=decimal_arg(raw, "volume"),
            price=decimal_arg(raw, "price"),
            stoplimit=decimal_arg(raw, "stoplimit"),
            sl=decimal_arg(raw, "sl"),
            tp=decimal_arg(raw, "tp"),
            deviation=int_arg(raw, "deviation"),
            expiration_ms=int_arg(raw, "expiration_ms"),
            comment=str_arg(raw, "comment")[:MAX_COMMENT],
            position=int_arg(raw, "position"),
            position_by=int_arg(raw, "position_by"),
        )

    @property
    def trade_action(self) -> Action:
        return _enum(Action, self.action, "action")

    @property
    def order_type(self) -> OrderType:
        return _enum(OrderType, self.type, "order type")

    @property
    def filling(self) -> Filling:
        return _enum(Filling, self.type_filling, "filling type")

    @property
    def order_time(self) -> OrderTime:
        return _enum(OrderTime, self.type_time, "order lifetime")


def check_volume(spec: SymbolSpec, volume: Decimal) -> None:
    if not spec.volume_min <= volume <= spec.volume_max:
        raise RefusedError(
            Retcode.INVALID_VOLUME,
            f"volume {volume} is outside [{spec.volume_min}, {spec.volume_max}] for {spec.name}",
        )
    if not is_multiple(volume, spec.volume_step):
        raise RefusedError(
            Retcode.INVALID_VOLUME,
            f"volume {volume} is not a multiple of {spec.name}'s step {spec.volume_step}",
        )


def check_normalized(spec: SymbolSpec, **prices: Decimal) -> None:
    for name, price in prices.items():
        if price < 0 or not is_multiple(price, spec.point):
            raise RefusedError(
                Retcode.INVALID_PRICE,
                f"{name} {price} is not normalized to {spec.name}'s {spec.digits} digits",
            )


def check_stops(spec: SymbolSpec, is_buy: bool, ref: Decimal, sl: Decimal, tp: Decimal) -> None:
    """SL below and TP above `ref` for a buy (the other way for a sell), by `stops_level`."""
    gap = spec.stops_level * spec.point
    below, above = (sl, tp) if is_buy else (tp, sl)
    if below and not (below <= ref - gap and below < ref):
        raise RefusedError(Retcode.INVALID_STOPS, _stops_text(spec, below, "below", ref, gap))
    if above and not (above >= ref + gap and above > ref):
        raise RefusedError(Retcode.INVALID_STOPS, _stops_text(spec, above, "above", ref, gap))


def _stops_text(spec: SymbolSpec, price: Decimal, side: str, ref: Decimal, gap: Decimal) -> str:
    level = f" by {spec.stops_level} points" if gap else ""
    return f"stop {fixed(price, spec.digits)} must be {side} {fixed(ref, spec.digits)}{level}"


def check_filling(spec: SymbolSpec, filling: Filling) -> None:
    """FOK and IOC by the symbol's flags; RETURN outside market and exchange execution."""
    if filling == Filling.RETURN:
        allowed = spec.execution_mode in (ExecutionMode.INSTANT, ExecutionMode.REQUEST)
    else:
        allowed = bool(spec.filling_mode & FILLING_FLAGS[filling])
    if not allowed:
        raise RefusedError(Retcode.INVALID_FILL, f"{filling.value} is not allowed for {spec.name}")


def expiry_ms(order_time: OrderTime, setup_ms: int, expiration_ms: int) -> int | None:
    """When an order of this lifetime expires (None: never): DAY at the end of the UTC day
    it was placed, SPECIFIED_DAY at the end of its expiration's day."""
    if order_time == OrderTime.GTC:
        return None
    if order_time == OrderTime.DAY:
        return setup_ms - setup_ms % DAY_MS + DAY_MS
    if order_time == OrderTime.SPECIFIED:
        return expiration_ms
    return expiration_ms - expiration_ms % DAY_MS + DAY_MS


def check_expiration(spec: SymbolSpec, order_time: OrderTime, expiration_ms: int, now: int) -> None:
    if not spec.expiration_mode & EXPIRATION_FLAGS[order_time]:
        raise RefusedError(
            Retcode.INVALID_EXPIRATION, f"{order_time.value} is not allowed for {spec.name}"
        )
    if order_time in (OrderTime.SPECIFIED, OrderTime.SPECIFIED_DAY):
        ends = expiry_ms(order_time, now, expiration_ms)
        if expiration_ms <= 0 or (ends is not None and ends <= now):
            raise RefusedError(
                Retcode.INVALID_EXPIRATION, f"expiration {expiration_ms} is not ahead"
            )


def check_pending_price(kind: OrderType, tick: Tick, price: Decimal, stoplimit: Decimal) -> None:
    """A limit below (buy) or above (sell) the market, a stop beyond it; a stop-limit's
    limit on the limit side of its stop."""
    if price <= 0:
        raise RefusedError(Retcode.INVALID_PRICE, "a pending order needs a price")
    valid = {
        OrderType.BUY_LIMIT: price < tick.ask,
        OrderType.SELL_LIMIT: price > tick.bid,
        OrderType.BUY_STOP: price > tick.ask,
        OrderType.SELL_STOP: price < tick.bid,
        OrderType.BUY_STOP_LIMIT: price > tick.ask and 0 < stoplimit < price,
        OrderType.SELL_STOP_LIMIT: price < tick.bid and stoplimit > price,
    }[kind]
    if not valid:
        raise RefusedError(
            Retcode.INVALID_PRICE,
            f"{kind.value} at {price} is on the wrong side of bid {tick.bid} / ask {tick.ask}",
        )


def market_side(kind: OrderType, tick: Tick) -> Decimal:
    """The price a pending order of `kind` is compared with: the ask for buys, else the bid."""
    return tick.ask if kind.is_buy else tick.bid


def check_pending_distance(spec: SymbolSpec, kind: OrderType, tick: Tick, price: Decimal) -> None:
    """A pending price at least `stops_level` points from the market."""
    gap = spec.stops_level * spec.point
    if gap and abs(market_side(kind, tick) - price) < gap:
        raise RefusedError(
            Retcode.INVALID_PRICE,
            f"{kind.value} at {price} is within {spec.stops_level} points of the market",
        )


def check_not_frozen(spec: SymbolSpec, market: Decimal, *prices: Decimal) -> None:
    """Nothing within `freeze_level` points of the market may change."""
    gap = spec.freeze_level * spec.point
    for price in prices:
        if gap and price and abs(market - price) <= gap:
            raise RefusedError(
                Retcode.FROZEN,
                f"{fixed(price, spec.digits)} is within the freeze level "
                f"({spec.freeze_level} points) of the market",
            )
