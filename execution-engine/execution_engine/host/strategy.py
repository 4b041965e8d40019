"""`GauntletStrategyHost`: any Gauntlet strategy, unchanged, as a NautilusTrader `Strategy`.

At each bar close (once every hosted instrument's bar for that time has arrived) the host
marks the account to the close and the decider updates the strategy's incremental state
(or calls `strategy.target` on its window) and processes the newest value (ADR 0002 §1-2).
An order is due when the processed target changes (§3), or as the rebalancing mode says
(§13); it executes at the next opening quote ("next_open") or at once ("bar_close").
Before that, on a margin account, the margin level at the close is checked (§12): a margin
call is reported, a stop-out liquidates every position instead of the due orders. Both
read the account as it stands just before the execution point (`Snapshot`: after the bar's
fills and financing for next-open execution, before the close's own orders for bar-close
execution), as the vectorized kernel's decision point does. Bad targets, zero quantities,
venue rejections and risk denials are reported as events; none of them stops the node.

This class only wires NautilusTrader's events to the collaborators: `Decider` (window,
strategy, targets), `Rebalancer` (when an order is due), `MarginMonitor` (margin level,
calls, stop-outs, the initial-margin cut), `Executor` (sizing with `Sizer`, the account's
cut, `NotionalCap`, sequential costs), `HostAccount` (equity, held units), `BarMarks` and
`HostReporter` (what is recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderRejected,
)
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.trading.strategy import Strategy as NautilusStrategy

from execution_engine.host.account import Holdings, HostAccount
from execution_engine.host.config import GauntletHostConfig, target_rules
from execution_engine.host.decider import Decider
from execution_engine.host.executor import Executor, Fees, PlannedOrder, Quote
from execution_engine.host.gather import Gather
from execution_engine.host.margin import MarginMonitor, MarginRates
from execution_engine.host.marks import BarMarks
from execution_engine.host.notional import NotionalCap
from execution_engine.host.rebalance import REBALANCE_MODES, Rebalancer, Snapshot
from execution_engine.host.records import HostRecords
from execution_engine.host.reporter import HostReporter
from execution_engine.host.sizing import Sizer, SizeRules
from execution_engine.host.window import Row
from strategies import plugins

_NAN = float("nan")


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
        check_account(config)
        self.records = HostRecords()
        # Polled at every bar close before deciding: the kill switch (execution_engine.risk).
        self.halt_check: Callable[[], None] | None = None
        self._ids = [InstrumentId.from_str(i) for i in config.instrument_ids]
        self._col = {iid: n for n, iid in enumerate(self._ids)}
        self._bar_types = [BarType.from_str(b) for b in config.bar_types]
        self._reporter = HostReporter(
            self.records,
            [iid.value for iid in self._ids],
            now=lambda: self.clock.timestamp_ns(),
            warn=lambda message: self.log.warning(message),
        )
        self.decider = Decider(
            plugins.create(config.strategy_name, **config.strategy_params),
            config.columns or [iid.symbol.value for iid in self._ids],
            config.columns is not None,
            config.window,
            target_rules(config),
            self._reporter,
            cash_account=config.account == "cash",
        )
        self._closes_only = self.decider.closes_only
        self._rebalancer = Rebalancer(config.rebalance, config.rebalance_threshold)
        self._margin: MarginMonitor | None = None  # a margin account's, built in on_start
        self._marks = BarMarks(self._reporter, None)
        self._bars: Gather[Bar] = Gather(len(self._ids))
        self._quotes: Gather[QuoteTick] = Gather(len(self._ids))
        self._account: HostAccount | None = None  # built in on_start, with the venue's state
        self._executor: Executor | None = None
        self._interval_ns = 0
        self._bar_close = config.execute_at == "bar_close"
        self._bars_seen = 0
        # The last decision awaiting its execution point: column → processed target that
        # changed (None: nothing awaits); the account it sees is the bar's snapshot.
        self._changed: dict[int, float] | None = None
        self._snapshot: Snapshot | None = None
        self._decision_bar = -1

    # -- lifecycle --------------------------------------------------------------------------

    def on_start(self) -> None:
        instruments = []
        for iid in self._ids:
            instrument = self.cache.instrument(iid)
            if instrument is None:
                self._reporter.problem(
                    "unknown_instrument", None, f"instrument {iid} is unknown to the venue"
                )
                self.stop()
                return
            instruments.append(instrument)
        config: GauntletHostConfig = self.config
        self._account = HostAccount(
            self.portfolio, self.cache, self.id, self._ids, instruments[0].quote_currency
        )
        units_at_one = config.units if config.size_mode == "units" else None
        if config.account == "margin":
            rates = MarginRates.for_instruments(
                instruments, config.margin_initial, config.margin_maintenance
            )
            self._margin = MarginMonitor(rates, config.margin_call, config.stop_out, self._reporter)
        next_open = config.execute_at == "next_open"
        # Bar-close execution checks the margin and takes the decision's snapshot at the
        # close itself: its marks need neither.
        self._marks = BarMarks(
            self._reporter,
            self._margin if next_open else None,
            config.record_equity,
            snapshots=next_open,
        )
        self._executor = Executor(
            self._account,
            Sizer(
                [
                    SizeRules.for_instrument(i, config.round_to_lot, config.round_units)
                    for i in instruments
                ],
                units_at_one,
            ),
            NotionalCap(config.max_notional_per_order),
            Fees([i.taker_fee for i in instruments], Decimal(repr(config.commission_per_unit))),
            self._reporter,
            lambda col: self._client_order_id(col).value,
            self._margin,
        )
        spec = self._bar_types[0].spec
        # A tick, volume or value bar (live bars aggregated from quotes) has no fixed length:
        # it is stamped at its close, and no quote of its own precedes it.
        self._interval_ns = (
            int(spec.timedelta.total_seconds() * 10**9) if spec.is_time_aggregated() else 0
        )
        for bar_type in self._bar_types:
            self.subscribe_bars(bar_type)
        if config.execute_at == "next_open":
            for iid in self._ids:
                self.subscribe_quote_ticks(iid)

    def on_stop(self) -> None:
        self._flush_mark()

    def preload_targets(self, bars: Any) -> None:
        """Backtests only: compute the targets once over the whole history (freqtrade's
        backtesting mode) and read them bar by bar instead of calling `target` per bar.

        Identical to the per-bar call with the whole history for any causal strategy (the
        look-ahead check proves causality), and orders of magnitude cheaper. Paper and live
        nodes never preload: they cannot see the future bars.
        """
        self.decider.preload(bars)

    # -- market data ------------------------------------------------------------------------

    def on_bar(self, bar: Bar) -> None:
        col = self._col.get(bar.bar_type.instrument_id)
        if col is None:
            return
        complete = self._bars.add(col, bar, moment=bar.ts_event)
        if complete is not None:
            self._on_bar_close(bar.ts_event - self._interval_ns, complete)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._flush_mark()
        if self._changed is None and not self._stop_out_due():
            return
        col = self._col.get(tick.instrument_id)
        if col is None:
            return
        complete = self._quotes.add(col, tick)
        if complete is not None:
            quotes = [
                Quote(complete[c].bid_price.as_decimal(), complete[c].ask_price.as_decimal())
                for c in range(len(self._ids))
            ]
            self._execute([q.mid for q in quotes], quotes)

    def _on_bar_close(self, open_ns: int, bars: dict[int, Bar]) -> None:
        rows: dict[int, Row] = {}
        closes = []
        for col in range(len(self._ids)):
            # Every column's bar is in `bars`: the host decides only once all have arrived.
            bar = bars[col]
            close = bar.close  # a new Price at each read of a field: each read once
            if self._closes_only:  # nothing reads the other fields (Decider.closes_only)
                rows[col] = (_NAN, _NAN, _NAN, close.as_double(), _NAN)
            else:
                rows[col] = (
                    bar.open.as_double(),
                    bar.high.as_double(),
                    bar.low.as_double(),
                    close.as_double(),
                    bar.volume.as_double(),
                )
            closes.append(close.as_decimal())
        bar_index = self._bars_seen
        self._bars_seen += 1
        if self.halt_check is not None:
            self.halt_check()
        # One read of the account serves the previous bar's mark and this close's check:
        # nothing fills between them.
        bar_close = self._bar_close
        holdings = None
        if self._account is not None and (bar_close or self._marks.pending):
            holdings = self._account.holdings()
        self._flush_mark(holdings)
        if self._changed is not None and self._due_anything() and self._decision_bar >= 0:
            # The previous decision never found an opening quote (e.g. a gap): it is stale now.
            self._reporter.problem(
                "not_executed", None, "decision superseded before an opening quote"
            )
        if bar_close:
            # Executed at this close: the account before its orders is what they see.
            assert holdings is not None  # bars arrive only after on_start built the account
            self._checked(bar_index, open_ns, closes, holdings)
        else:
            self._marks.hold(bar_index, open_ns, closes)
        changed = self.decider.decide(bar_index, open_ns, rows)
        # Nothing can be due without a change when not rebalancing (a stop-out is known
        # only at the mark): the opening quotes are then not even gathered.
        self._changed = changed if changed or self._rebalancer.mode != "off" else None
        self._decision_bar = bar_index
        # Nothing changed and no stop-out pending: no order is due, nothing to execute.
        if bar_close and (self._changed is not None or self._stop_out_due()):
            self._execute(closes, self._close_quotes(bars))

    def _close_quotes(self, bars: dict[int, Bar]) -> list[Quote] | None:
        """The quotes a bar-close order fills at, when the feed sent them within this bar (a
        spread or slippage: the backtest's closing quotes, execution_engine.backtest, and
        paper's, adapters.sandbox.data); None: it fills at the close."""
        quotes = []
        for col, iid in enumerate(self._ids):
            tick = self.cache.quote_tick(iid)
            close_ns = bars[col].ts_event
            if tick is None or not close_ns - self._interval_ns < tick.ts_event <= close_ns:
                return None
            quotes.append(Quote(tick.bid_price.as_decimal(), tick.ask_price.as_decimal()))
        return quotes

    def _checked(self, bar: int, open_ns: int, closes: list[Decimal], holdings: Holdings) -> None:
        """Bar-close execution: the margin check at this close, and the bar held for its
        mark with the equity the check valued (the mark reuses it if nothing filled)."""
        equity = holdings.equity(closes)
        if self._rebalancer.mode != "off":  # only a rebalance reads the decision's snapshot
            self._snapshot = Snapshot(bar, equity, list(holdings.net), list(closes))
        level = None
        if self._margin is not None and equity is not None:
            level = self._margin.check(bar, equity, holdings.net, closes)
        self._marks.hold(bar, open_ns, closes, level, (holdings, equity))

    # -- executing --------------------------------------------------------------------------

    def _stop_out_due(self) -> bool:
        return self._margin is not None and self._margin.stop_out_due

    def _due_anything(self) -> bool:
        return self._stop_out_due() or bool(self._changed) or self._rebalancer.mode != "off"

    def _execute(self, prices: list[Decimal], quotes: list[Quote] | None) -> None:
        """The decision's orders at its execution point; a pending stop-out instead
        liquidates everything and drops them (ADR 0002 §12)."""
        assert self._executor is not None  # bars and quotes arrive only after on_start
        changed, self._changed = self._changed or {}, None
        if self._margin is not None and self._margin.stop_out_due:
            self._margin.stop_out_due = False  # acted on: the next close checks afresh
            self.decider.flatten()
            planned = self._executor.liquidate(prices, quotes)
        else:
            due = self._rebalancer.due(changed, self.decider.targets, self._snapshot)
            planned = self._executor.plan(due, prices, quotes) if due else []
        for order in planned:
            self._submit(order)

    def _client_order_id(self, col: int) -> ClientOrderId:
        """Deterministic: strategy id, live session (if any), decision bar index, instrument."""
        symbol = self._ids[col].symbol.value.replace("/", "")
        session = self.config.session
        prefix = f"{self.id.value}-S{session}" if session else self.id.value
        return ClientOrderId(f"{prefix}-{self._decision_bar}-{symbol}")

    def _submit(self, planned: PlannedOrder) -> None:
        assert self._account is not None  # built in on_start, with the executor
        col = planned.col
        client_id = self._client_order_id(col)
        market = self.order_factory.market(
            self._ids[col],
            planned.side,
            planned.quantity,
            time_in_force=TimeInForce.IOC if self.config.ioc_orders else TimeInForce.GTC,
            client_order_id=client_id,
            tags=[f"bar={self._decision_bar}"],
        )
        self._reporter.order(
            client_id.value,
            col,
            planned.side.name,
            str(planned.quantity),
            self.decider.target_of(col),
            self._decision_bar,
            planned.price,
            planned.reason,
            planned.limited,
        )
        self._account.track(col, market)
        self.submit_order(market)

    def _flush_mark(self, holdings: Holdings | None = None) -> None:
        """Mark the held bar, if any; `holdings` is the account read at this event (None:
        read it here, only when a bar is held)."""
        if self._account is None or not self._marks.pending:
            return
        snapshot = self._marks.flush(holdings if holdings is not None else self._account.holdings())
        if snapshot is not None:  # next-open execution: the account the decision sees
            self._snapshot = snapshot

    # -- order events -----------------------------------------------------------------------

    def on_order_filled(self, event: OrderFilled) -> None:
        if self._account is not None:
            self._account.filled()
        self._reporter.fill(event)

    # A rejected, denied or canceled order is closed: `HostAccount.held_units` stops
    # counting it, so the host holds what actually filled. It is not resubmitted; the host
    # trades again at the next target change, sized from that real position (no double
    # order if the venue later recovers). A partially filled order counts as held for its
    # remainder until the venue fills or cancels it.

    def on_order_rejected(self, event: OrderRejected) -> None:
        self._reporter.order_closed("rejected", event, event.reason)

    def on_order_denied(self, event: OrderDenied) -> None:
        self._reporter.order_closed("denied", event, event.reason)

    def on_order_canceled(self, event: OrderCanceled) -> None:
        self._reporter.order_closed("canceled", event, "canceled")


def check_account(config: GauntletHostConfig) -> None:
    """The account and rebalancing settings (ADR 0002 §12-§13) the host can run with."""
    if config.account not in ("margin", "cash"):
        raise HostSetupError(f"account must be margin or cash, got {config.account!r}")
    if config.rebalance not in REBALANCE_MODES:
        raise HostSetupError(
            f"rebalance must be one of {', '.join(REBALANCE_MODES)}, got {config.rebalance!r}"
        )
    if not 0 < config.stop_out < config.margin_call:
        raise HostSetupError(
            f"stop_out ({config.stop_out:g}%) must be above 0 and below margin_call "
            f"({config.margin_call:g}%)"
        )
