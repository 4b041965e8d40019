"""`GauntletStrategyHost`: any Gauntlet strategy, unchanged, as a NautilusTrader `Strategy`.

At each bar close (once every hosted instrument's bar for that time has arrived) the host
appends the bars to its window, marks the account to the close, calls `strategy.target` on
the window and processes the newest value (ADR 0002 §1-2). It trades only when the
processed target changes (§3): at the next opening quote ("next_open") or at once
("bar_close"). Bad targets, zero quantities, venue rejections and risk denials are reported
as events; none of them stops the node.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderRejected,
)
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Quantity
from nautilus_trader.trading.strategy import Strategy as NautilusStrategy

from execution_engine.host.config import GauntletHostConfig
from execution_engine.host.records import HostRecords
from execution_engine.host.sizing import SizeRules, desired_units, round_toward_zero
from execution_engine.host.window import BarWindow
from execution_engine.targets import TargetRules, bad_target_reason
from strategies import StrategyOutputError, plugins
from strategies.base import Strategy as GauntletStrategy

Row = tuple[float, float, float, float, float]  # open, high, low, close, volume


class HostSetupError(ValueError):
    """The host cannot start: unknown instrument or bar type, bad configuration."""


class GauntletStrategyHost(NautilusStrategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    def __init__(self, config: GauntletHostConfig) -> None:
        super().__init__(config)
        if config.execute_at not in ("next_open", "bar_close"):
            raise HostSetupError(
                f"execute_at must be next_open or bar_close, got {config.execute_at!r}"
            )
        if len(config.instrument_ids) != len(config.bar_types) or not config.instrument_ids:
            raise HostSetupError("instrument_ids and bar_types must be non-empty and pair up")
        self.gauntlet: GauntletStrategy[Any] = plugins.create(
            config.strategy_name, **config.strategy_params
        )
        self.records = HostRecords()
        # Polled at every bar close before deciding: the kill switch (execution_engine.risk).
        self.halt_check: Callable[[], None] | None = None
        self._ids = [InstrumentId.from_str(i) for i in config.instrument_ids]
        self._col = {iid: n for n, iid in enumerate(self._ids)}
        self._bar_types = [BarType.from_str(b) for b in config.bar_types]
        names = config.columns or [iid.symbol.value for iid in self._ids]
        self._panel = config.columns is not None
        warmup = self.gauntlet.warmup
        window = None if config.window is None else max(config.window, warmup + 1)
        self._window = BarWindow(names, self._panel, window, keep=config.vol_window + 2)
        self._rules = TargetRules(
            long_only=config.long_only,
            vol_scaled=config.size_mode == "vol_target",
            vol_target=config.vol_target,
            vol_window=config.vol_window,
            max_leverage=config.max_leverage,
            periods_per_year=config.periods_per_year,
        )
        self._units_at_one = config.units if config.size_mode == "units" else None
        self._instruments: list[Instrument] = []
        self._sizes: list[SizeRules] = []
        self._interval_ns = 0
        self._bars_seen = 0
        self._pending_bars: dict[int, Row] = {}
        self._pending_ts = -1
        self._last_close = [math.nan] * len(self._ids)
        self._prev_target = [0.0] * len(self._ids)
        self._orders_due: dict[int, float] = {}  # column → processed target awaiting execution
        self._decision_bar = -1
        self._quotes: dict[int, QuoteTick] = {}
        self._unmarked: tuple[int, list[float]] | None = None  # bar awaiting its equity mark
        self._preloaded: dict[int, list[float]] | None = None  # bar open ns → raw targets
        self._working: list[list[Any]] = [[] for _ in self._ids]  # orders not yet closed

    # -- lifecycle --------------------------------------------------------------------------

    def on_start(self) -> None:
        for iid in self._ids:
            instrument = self.cache.instrument(iid)
            if instrument is None:
                self._report(
                    "unknown_instrument", None, f"instrument {iid} is unknown to the venue"
                )
                self.stop()
                return
            self._instruments.append(instrument)
            self._sizes.append(SizeRules.for_instrument(instrument, self.config.round_to_lot))
        self._interval_ns = int(self._bar_types[0].spec.timedelta.total_seconds() * 10**9)
        for bar_type in self._bar_types:
            self.subscribe_bars(bar_type)
        if self.config.execute_at == "next_open":
            for iid in self._ids:
                self.subscribe_quote_ticks(iid)

    # -- market data ------------------------------------------------------------------------

    def on_bar(self, bar: Bar) -> None:
        col = self._col.get(bar.bar_type.instrument_id)
        if col is None:
            return
        if bar.ts_event != self._pending_ts:
            self._pending_bars = {}
            self._pending_ts = bar.ts_event
        self._pending_bars[col] = (
            bar.open.as_double(),
            bar.high.as_double(),
            bar.low.as_double(),
            bar.close.as_double(),
            bar.volume.as_double(),
        )
        if len(self._pending_bars) == len(self._ids):
            self._on_bar_close(bar.ts_event - self._interval_ns, self._pending_bars)
            self._pending_bars = {}

    def on_stop(self) -> None:
        self._flush_mark()

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._flush_mark()
        if not self._orders_due:
            return
        col = self._col.get(tick.instrument_id)
        if col is None:
            return
        self._quotes[col] = tick
        if len(self._quotes) == len(self._ids):
            mids = [
                (self._quotes[c].bid_price.as_double() + self._quotes[c].ask_price.as_double()) / 2
                for c in range(len(self._ids))
            ]
            self._execute(mids, use_quotes=True)
            self._quotes = {}

    def _on_bar_close(self, open_ns: int, rows: dict[int, Row]) -> None:
        self._window.append(open_ns, rows)
        for col, row in rows.items():
            self._last_close[col] = row[3]
        bar_index = self._bars_seen
        self._bars_seen += 1
        if self.halt_check is not None:
            self.halt_check()
        self._flush_mark()
        if self.config.record_equity:
            self._unmarked = (open_ns, list(self._last_close))
        if self._orders_due:
            # The previous decision never found an opening quote (e.g. a gap): it is stale now.
            self._report("not_executed", None, "decision superseded before an opening quote")
            self._orders_due = {}
        self._decide(bar_index, open_ns)
        if self._orders_due and self.config.execute_at == "bar_close":
            self._execute(list(self._last_close), use_quotes=False)

    # -- deciding ---------------------------------------------------------------------------

    def preload_targets(self, bars: Any) -> None:
        """Backtests only: compute the targets once over the whole history (freqtrade's
        backtesting mode) and read them bar by bar instead of calling `target` per bar.

        Identical to the per-bar call with the whole history for any causal strategy (the
        look-ahead check proves causality), and orders of magnitude cheaper. Paper and live
        nodes never preload: they cannot see the future bars.
        """
        table = self._target_table(bars)
        values = table.to_numpy(dtype=float).reshape(len(table), -1)
        self._preloaded = dict(zip(table.index.asi8.tolist(), values.tolist(), strict=True))

    def _decide(self, bar_index: int, open_ns: int) -> None:
        preloaded = self._preloaded
        raw = preloaded.get(open_ns) if preloaded is not None else self._raw_targets()
        self.records.raw_targets.append(raw or [math.nan] * len(self._ids))
        if raw is None:
            return
        in_warmup = bar_index < self.gauntlet.warmup
        for col, value in enumerate(raw):
            if not in_warmup and (reason := bad_target_reason(value)) is not None:
                self._report("bad_target", col, f"{reason} at bar {bar_index}; holding position")
                continue
            closes = self._window.closes(col, self._rules.vol_window + 1)
            target = self._rules.process(value, closes)
            if target != self._prev_target[col]:
                self._prev_target[col] = target
                self._orders_due[col] = target
        self._decision_bar = bar_index

    def _raw_targets(self) -> list[float] | None:
        try:
            out = self._target_table(self._window.frame())
        except Exception as exc:  # a strategy bug must not take the node down
            self._report("strategy_error", None, f"{type(exc).__name__}: {exc}")
            return None
        last = out.iloc[-1]
        if self._panel:
            return [float(last[c]) for c in self._window_columns()]
        return [float(last)]

    def _target_table(self, frame: Any) -> Any:
        try:
            return self.gauntlet.target(frame)
        except StrategyOutputError:
            # Validation covers the whole window; we trade only the newest value, and
            # `bad_target_reason` reports it if that one is bad.
            return self._unchecked_target(frame)

    def _unchecked_target(self, frame: Any) -> Any:
        if not self._panel:
            return self.gauntlet.compute(frame)
        import pandas as pd

        return pd.DataFrame({c: self.gauntlet.compute(frame[c]) for c in self._window_columns()})

    def _window_columns(self) -> list[str]:
        return self.config.columns or []

    # -- executing --------------------------------------------------------------------------

    def _execute(self, prices: list[float], use_quotes: bool) -> None:
        """Orders for every due target, in column order, sized at `prices` (semantics §5, §10).

        Equity is valued once at the execution prices; each order then removes what its
        own fill will cost (half-spread, slippage, fee) before the next one is sized, as the
        contract's sequential execution does.
        """
        equity = self._equity(prices)
        for col in sorted(self._orders_due):
            target = self._orders_due[col]
            held = self._held_units(col)
            units = desired_units(target, equity, prices[col], units_at_one=self._units_at_one)
            desired = round_toward_zero(units, self._sizes[col].step)
            order = desired - held
            if order == 0:
                if desired == 0 and target != 0.0:
                    self._report("zero_quantity", col, f"target {target:g} rounds to 0 units")
                continue
            if abs(order) < self._sizes[col].min_quantity:
                self._report(
                    "below_min_quantity",
                    col,
                    f"order of {order} units is below the minimum {self._sizes[col].min_quantity}",
                )
                continue
            if self._exceeds_notional_cap(col, order, prices[col]):
                continue
            fill = self._fill_price(col, order, prices[col], use_quotes)
            equity -= float(order) * (fill - prices[col]) + self._fee(col, order, fill)
            self._submit(col, order, prices[col])
        self._orders_due = {}

    def _exceeds_notional_cap(self, col: int, order: Decimal, price: float) -> bool:
        """Deny an order whose notional exceeds the configured cap.

        NautilusTrader 1.221's RiskEngine returns early for margin accounts before its
        notional check (risk/engine.pyx, `_check_orders_risk`: "TODO: Determine risk
        controls for margin"), so for FX on margin the cap is enforced here, pre-trade, and
        reported exactly like a risk-engine denial.
        """
        cap = self.config.max_notional_per_order
        notional = abs(float(order)) * price
        if cap is None or notional <= cap:
            return False
        self.records.emit(
            {
                "kind": "denied",
                "ts": self.clock.timestamp_ns(),
                "client_order_id": self._client_order_id(col).value,
                "instrument": self._ids[col].value,
                "reason": f"NOTIONAL_EXCEEDS_MAX_PER_ORDER: max_notional={cap:,.2f}, "
                f"notional={notional:,.2f} (pre-trade check)",
            }
        )
        return True

    def _client_order_id(self, col: int) -> ClientOrderId:
        """Deterministic: strategy id, decision bar index, instrument."""
        symbol = self._ids[col].symbol.value.replace("/", "")
        return ClientOrderId(f"{self.id.value}-{self._decision_bar}-{symbol}")

    def _fill_price(self, col: int, order: Decimal, price: float, use_quotes: bool) -> float:
        if not use_quotes:
            return price
        quote = self._quotes[col]
        fill: float = (quote.ask_price if order > 0 else quote.bid_price).as_double()
        return fill

    def _fee(self, col: int, order: Decimal, fill: float) -> float:
        return abs(float(order)) * fill * float(self._instruments[col].taker_fee)

    def _submit(self, col: int, order: Decimal, price: float) -> None:
        instrument = self._instruments[col]
        side = OrderSide.BUY if order > 0 else OrderSide.SELL
        client_id = self._client_order_id(col)
        qty = Quantity(abs(order), self._sizes[col].precision)
        market = self.order_factory.market(
            instrument.id, side, qty, client_order_id=client_id, tags=[f"bar={self._decision_bar}"]
        )
        self.records.emit(
            {
                "kind": "order",
                "ts": self.clock.timestamp_ns(),
                "client_order_id": client_id.value,
                "instrument": instrument.id.value,
                "side": side.name,
                "quantity": str(qty),
                "target": self._prev_target[col],
                "bar": self._decision_bar,
                # The price the order was sized at (the backtest's fill reference): realized
                # slippage is the fill's distance from it (research.promotion.paper_record).
                "price": price,
            }
        )
        self._working[col].append(market)
        self.submit_order(market)

    # -- account ----------------------------------------------------------------------------

    def _equity(self, prices: list[float]) -> float:
        """Account value at `prices`: balance plus unrealized P&L (ADR 0002 §9)."""
        account = self.portfolio.account(self._ids[0].venue)
        if account is None:
            return math.nan
        currency = account.base_currency or self._instruments[0].quote_currency
        balance = account.balance_total(currency)
        value = 0.0 if balance is None else balance.as_double()
        for col, iid in enumerate(self._ids):
            for position in self.cache.positions_open(instrument_id=iid, strategy_id=self.id):
                value += position.signed_qty * (prices[col] - position.avg_px_open)
        return value

    def _held_units(self, col: int) -> Decimal:
        """Net position plus what this host's unfinished orders will still add.

        Counts every order not yet closed: waiting for the risk engine, in flight, accepted,
        partially filled (a fast feed can deliver the next bar before the last fill). The
        host tracks its own working orders: scanning the cache's order history instead
        costs O(orders so far) per decision.
        """
        held = Decimal(self.portfolio.net_position(self._ids[col]))
        working = [o for o in self._working[col] if not o.is_closed]
        self._working[col] = working
        for order in working:
            leaves = order.leaves_qty.as_decimal()
            held += leaves if order.side == OrderSide.BUY else -leaves
        return held

    def _flush_mark(self) -> None:
        """Mark the last closed bar: balance and positions as they stand after everything
        the venue does at that bar's close (bar-close fills, financing), valued at its close.

        The venue applies those after the host's `on_bar` returns, so the mark is taken at
        the next event the host sees: the next opening quote, the next bar, or the stop.
        """
        if self._unmarked is None:
            return
        open_ns, closes = self._unmarked
        self._unmarked = None
        equity = self._equity(closes)
        self.records.times_ns.append(open_ns)
        self.records.equity.append(equity)
        positions = [float(self.portfolio.net_position(iid)) for iid in self._ids]
        self.records.positions.append(positions)
        if self.records.listeners:  # live runs report P&L as it happens; backtests read lists
            self.records.emit(
                {"kind": "mark", "bar_time": open_ns, "equity": equity, "positions": positions}
            )

    # -- order events -----------------------------------------------------------------------

    def on_order_filled(self, event: OrderFilled) -> None:
        self.records.emit(
            {
                "kind": "fill",
                "ts": event.ts_event,
                "client_order_id": event.client_order_id.value,
                "instrument": event.instrument_id.value,
                "side": event.order_side.name,
                "quantity": float(event.last_qty),
                "price": event.last_px.as_double(),
                "commission": event.commission.as_double(),
            }
        )

    # A rejected, denied or canceled order is closed: `_held_units` stops counting it, so
    # the host holds what actually filled. It is not resubmitted; the host trades again at
    # the next target change, sized from that real position (no double order if the venue
    # later recovers). A partially filled order counts as held for its remainder until the
    # venue fills or cancels it.

    def on_order_rejected(self, event: OrderRejected) -> None:
        self._report_order("rejected", event, event.reason)

    def on_order_denied(self, event: OrderDenied) -> None:
        self._report_order("denied", event, event.reason)

    def on_order_canceled(self, event: OrderCanceled) -> None:
        self._report_order("canceled", event, "canceled")

    def _report_order(
        self, kind: str, event: OrderRejected | OrderDenied | OrderCanceled, reason: str
    ) -> None:
        # The instrument is recorded too, so a report names what was not traded without a
        # lookup of the order (the client order id is not unique across strategies).
        client_order_id = event.client_order_id.value
        instrument = event.instrument_id.value
        self.log.warning(f"order {client_order_id} ({instrument}) {kind}: {reason}")
        self.records.emit(
            {
                "kind": kind,
                "ts": self.clock.timestamp_ns(),
                "client_order_id": client_order_id,
                "instrument": instrument,
                "reason": reason,
            }
        )

    def _report(self, kind: str, col: int | None, message: str) -> None:
        instrument = None if col is None else self._ids[col].value
        self.log.warning(f"{kind}: {instrument or ''} {message}")
        self.records.emit(
            {
                "kind": kind,
                "ts": self.clock.timestamp_ns(),
                "instrument": instrument,
                "message": message,
            }
        )
