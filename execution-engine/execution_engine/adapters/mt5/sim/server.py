"""The trade server's primitives, shared by the request handlers (trading.py) and what a
tick sets off (triggers.py): opening, adding to, reducing, reversing and closing positions
with deals, and moving orders into the history, each with its transaction events.

Netting (MT5's retail netting): one position per symbol, its ticket and identifier the
ticket of the order that opened it; an opposite deal reduces it, closes it (DEAL_ENTRY_OUT)
or reverses it (one DEAL_ENTRY_INOUT deal; the identifier stays). Hedging (and MT4): each
opening deal is a position of its own, closed only by a deal naming it or by close-by.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from execution_engine.adapters.mt5.codes import (
    DealEntry,
    DealReason,
    DealType,
    OrderState,
    OrderType,
    PositionType,
    Retcode,
    TradeMode,
    Transaction,
)
from execution_engine.adapters.mt5.sim.account import (
    Account,
    Position,
    close_price,
    margin_of,
    profit_at,
)
from execution_engine.adapters.mt5.sim.checks import RefusedError
from execution_engine.adapters.mt5.sim.config import EngineConfig, SymbolSpec
from execution_engine.adapters.mt5.sim.events import Notifier
from execution_engine.adapters.mt5.sim.faults import EngineFaults
from execution_engine.adapters.mt5.sim.formats import cents
from execution_engine.adapters.mt5.sim.history import Deal, Ledger, Order
from execution_engine.adapters.mt5.sim.market import Market


class TradeServer:
    def __init__(
        self,
        config: EngineConfig,
        faults: EngineFaults,
        notifier: Notifier,
        clock_ms: Callable[[], int],
    ) -> None:
        self.config = config
        self.faults = faults
        self.notifier = notifier
        self.clock_ms = clock_ms
        self.market = Market(config.symbols)
        self.account = Account(config, self.market)
        self.ledger = Ledger()
        self.trade_allowed = config.trade_allowed

    def spec(self, symbol: str) -> SymbolSpec:
        spec = self.market.specs.get(symbol)
        if spec is None:
            raise RefusedError(Retcode.INVALID, f"unknown symbol {symbol!r}")
        return spec

    def netting_position(self, symbol: str) -> Position | None:
        if self.config.hedging:
            return None
        return next((p for p in self.account.positions.values() if p.symbol == symbol), None)

    def open_order(self, order: Order) -> Order:
        """An order the server took: recorded, and ORDER_ADD."""
        self.ledger.add_order(order)
        self.notifier.order(Transaction.ORDER_ADD, order, self.spec(order.symbol))
        return order

    def finish(self, order: Order, state: OrderState, now: int) -> None:
        """The order leaves the active list for the history."""
        order.state, order.time_done_ms, order.done = state, now, True
        self.ledger.retire(order)
        spec = self.spec(order.symbol)
        self.notifier.order(Transaction.ORDER_DELETE, order, spec)
        self.notifier.order(Transaction.HISTORY_ADD, order, spec)

    # -- what a deal adds to the exposure, for the margin and trade-mode checks

    def opening_volume(self, symbol: str, is_buy: bool, volume: Decimal, closes: bool) -> Decimal:
        """The part of a deal that opens exposure rather than closing it."""
        if self.config.hedging:
            return Decimal(0) if closes else volume
        position = self.netting_position(symbol)
        if position is None or position.is_buy == is_buy:
            return volume
        return max(Decimal(0), volume - position.volume)

    def check_trade_mode(self, spec: SymbolSpec, is_buy: bool, opening: Decimal) -> None:
        mode = spec.trade_mode
        refused = mode == TradeMode.DISABLED or (
            opening > 0
            and (
                mode == TradeMode.CLOSE_ONLY
                or (mode == TradeMode.LONG_ONLY and not is_buy)
                or (mode == TradeMode.SHORT_ONLY and is_buy)
            )
        )
        if refused:
            raise RefusedError(Retcode.TRADE_DISABLED, f"{spec.name}: {mode.value}")

    def check_margin(self, spec: SymbolSpec, opening: Decimal) -> None:
        if opening <= 0:
            return
        needed = margin_of(spec, opening, self.config, self.market)
        free = self.account.snapshot().free
        if needed > free:
            raise RefusedError(
                Retcode.NO_MONEY,
                f"margin {cents(needed)} {self.config.currency} needed, {cents(free)} free",
            )

    # -- deals

    def fill(
        self,
        order: Order,
        volume: Decimal,
        price: Decimal,
        reason: DealReason,
        now: int,
        close: Position | None = None,
    ) -> Deal:
        """One deal of `volume` at `price` for `order`; `close`: the hedging position it closes."""
        spec = self.spec(order.symbol)
        is_buy = order.type.is_buy
        target = close if self.config.hedging else self.netting_position(order.symbol)
        profit = swap = Decimal(0)
        if target is None:
            target = self._open(order, volume, price, now)
            entry = DealEntry.IN
        elif target.is_buy == is_buy:
            self._add(target, order, volume, price, now)
            entry = DealEntry.IN
        else:
            profit, swap, entry = self._reduce(target, order, volume, price, now)
        order.position_id = order.position_id or target.ticket
        order.volume_current -= volume
        deal = Deal(
            ticket=self.ledger.deal_ticket(),
            order=order.ticket,
            position_id=target.ticket,
            symbol=order.symbol,
            type=DealType.BUY if is_buy else DealType.SELL,
            entry=entry,
            volume=volume,
            price=price,
            profit=profit,
            swap=swap,
            magic=order.magic,
            comment=order.comment,
            reason=reason,
            time_ms=now,
        )
        self.ledger.deals.append(deal)
        self.notifier.deal(deal, order, spec)
        return deal

    def _open(self, order: Order, volume: Decimal, price: Decimal, now: int) -> Position:
        position = Position(
            ticket=order.ticket,
            symbol=order.symbol,
            type=PositionType.BUY if order.type.is_buy else PositionType.SELL,
            volume=volume,
            price_open=price,
            magic=order.magic,
            comment=order.comment,
            time_ms=now,
            time_update_ms=now,
            sl=order.sl,
            tp=order.tp,
        )
        self.account.positions[position.ticket] = position
        return position

    def _add(
        self, position: Position, order: Order, volume: Decimal, price: Decimal, now: int
    ) -> None:
        total = position.volume + volume
        position.price_open = (position.price_open * position.volume + price * volume) / total
        position.volume, position.time_update_ms = total, now
        position.sl, position.tp = order.sl or position.sl, order.tp or position.tp

    def _reduce(
        self, position: Position, order: Order, volume: Decimal, price: Decimal, now: int
    ) -> tuple[Decimal, Decimal, DealEntry]:
        """Close up to `volume` of `position`; the rest (netting) reverses it."""
        spec = self.spec(position.symbol)
        closed = min(volume, position.volume)
        profit = cents(profit_at(position, price, closed, spec, self.market, self.config.currency))
        swap = cents(position.swap * closed / position.volume)
        position.swap -= swap
        self.account.balance += profit + swap
        position.time_update_ms = now
        if volume < position.volume:
            position.volume -= volume
            return profit, swap, DealEntry.OUT
        if volume == position.volume:
            del self.account.positions[position.ticket]
            return profit, swap, DealEntry.OUT
        position.type = PositionType.BUY if order.type.is_buy else PositionType.SELL
        position.volume, position.price_open = volume - position.volume, price
        position.swap, position.sl, position.tp = Decimal(0), order.sl, order.tp
        return profit, swap, DealEntry.INOUT

    def close_by(self, order: Order, position: Position, volume: Decimal, now: int) -> Deal:
        """One side of a close-by: `volume` of `position` closed at the order's price."""
        kind = DealType.SELL if position.is_buy else DealType.BUY
        profit, swap, _ = self._reduce(position, order, volume, order.price_open, now)
        deal = Deal(
            ticket=self.ledger.deal_ticket(),
            order=order.ticket,
            position_id=position.ticket,
            symbol=order.symbol,
            type=kind,
            entry=DealEntry.OUT_BY,
            volume=volume,
            price=order.price_open,
            profit=profit,
            swap=swap,
            magic=order.magic,
            comment=order.comment,
            reason=DealReason.EXPERT,
            time_ms=now,
        )
        self.ledger.deals.append(deal)
        self.notifier.deal(deal, order, self.spec(order.symbol))
        return deal

    def close_position(
        self, position: Position, reason: DealReason, comment: str, now: int
    ) -> Deal:
        """The server closes `position` by itself (SL, TP, stop-out): an order, a deal."""
        price = close_price(position, self.market)
        order = self.open_order(
            Order(
                ticket=self.ledger.order_ticket(),
                symbol=position.symbol,
                type=OrderType.SELL if position.is_buy else OrderType.BUY,
                state=OrderState.STARTED,
                volume_initial=position.volume,
                volume_current=position.volume,
                price_open=price,
                magic=position.magic,
                comment=comment,
                time_setup_ms=now,
                position_id=position.ticket,
            )
        )
        close = position if self.config.hedging else None
        deal = self.fill(order, position.volume, price, reason, now, close)
        self.finish(order, OrderState.FILLED, now)
        return deal
