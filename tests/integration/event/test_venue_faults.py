"""Venue faults on the real NautilusTrader BacktestEngine: rejections and partial fills.

The faults come from NautilusTrader's own matching engine, injected into the real
`research.backtest(engine="event")` path:

- rejection: the opening quote the host executes on carries no size (liquidity dried up),
  so the matching engine rejects the market order ("no market with no fills").
- partial fills: a `FillModel` whose simulated book holds a limited size at the best
  price and one tick behind it, so a market order fills in parts walking the book (the
  matching engine fills what is left one tick further, as its L1 book does).
- a remainder left working: an L2 venue book with limited depth, where NautilusTrader
  leaves the unfilled rest of a market order open.

Cancels and expiries are not exercised: the host sends only GTC market orders, which the
simulated venue never cancels or expires.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.backtest.models import FillModel
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import BookOrder, QuoteTick
from nautilus_trader.model.enums import BookType, OrderSide
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price, Quantity

from research.engine.config import BacktestConfig, Costs
from research.engine.event import run_event
from research.engine.result import BacktestResult
from strategies import Strategy, StrategyParams, plugins, register
from tests.integration.event.conftest import fx_bars

# Rows from which the target holds each value (0 before the first): four target changes.
SCHEDULE = ((5, 1.0), (10, -1.0), (20, 0.5), (30, 0.0))
CHANGE_ROWS = [row for row, _ in SCHEDULE]
N_BARS = 40
CASH = 100_000.0
INSTRUMENT = "EUR/USD.SIM"


class _StepParams(StrategyParams):
    pass


@register
class StepTargets(Strategy[_StepParams]):
    """Targets by bar number (causal: row i depends on i only), so orders land on known bars."""

    name = "venue_fault_steps"
    Params = _StepParams

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        rows = np.arange(len(bars))
        out = np.zeros(len(bars))
        for start, value in SCHEDULE:
            out[rows >= start] = value
        return pd.Series(out, index=bars.index)


class ThinBook(FillModel):  # type: ignore[misc]  # Cython base, untyped
    """`depth` units at the best price and `depth` one tick behind; nothing further."""

    def __init__(self, depth: int) -> None:
        super().__init__(random_seed=7)
        self.depth = depth

    def get_orderbook_for_fill_simulation(
        self, instrument: Instrument, order: Any, best_bid: Price, best_ask: Price
    ) -> OrderBook:
        book = OrderBook(instrument.id, BookType.L2_MBP)
        tick = instrument.price_increment.as_double()
        size = Quantity(self.depth, instrument.size_precision)
        prec = instrument.price_precision
        for level in range(2):
            bid = Price(best_bid.as_double() - level * tick, prec)
            ask = Price(best_ask.as_double() + level * tick, prec)
            book.add(BookOrder(OrderSide.BUY, bid, size, 2 * level + 1), 0, 0)
            book.add(BookOrder(OrderSide.SELL, ask, size, 2 * level + 2), 0, 0)
        return book


@pytest.fixture
def bars() -> pd.DataFrame:
    return fx_bars("EUR/USD", n=N_BARS, seed=11)


def _dry_quotes_at(monkeypatch: pytest.MonkeyPatch, opens_ns: set[int]) -> None:
    """Opening quotes of the bars opening at `opens_ns` carry no size on either side."""
    import execution_engine.backtest.engine as engine_module

    real: Callable[..., Any] = engine_module.to_feed

    def to_feed(*args: Any, **kwargs: Any) -> Any:
        feed = real(*args, **kwargs)
        for n, quote in enumerate(feed.open_quotes):
            if quote.ts_event - 1 in opens_ns:
                none = Quantity(0, quote.bid_size.precision)
                feed.open_quotes[n] = QuoteTick(
                    quote.instrument_id,
                    quote.bid_price,
                    quote.ask_price,
                    none,
                    none,
                    quote.ts_event,
                    quote.ts_init,
                )
        return feed

    monkeypatch.setattr(engine_module, "to_feed", to_feed)


def _thin_book(monkeypatch: pytest.MonkeyPatch, depth: int) -> None:
    """Every venue the run builds fills through a `ThinBook` of `depth` units per level."""
    import execution_engine.backtest.engine as engine_module
    from execution_engine.adapters.sandbox.providers import SIM_VENUE

    real: Callable[..., Any] = engine_module.build_engine

    def build_engine(*args: Any, **kwargs: Any) -> Any:
        engine = real(*args, **kwargs)
        engine.change_fill_model(SIM_VENUE, ThinBook(depth))
        return engine

    monkeypatch.setattr(engine_module, "build_engine", build_engine)


def _run(bars: pd.DataFrame, commission: float = 0.0) -> BacktestResult:
    config = BacktestConfig(cash=CASH, costs=Costs(commission=commission))
    return run_event(plugins.create("venue_fault_steps"), bars, config)


def _client_id(row: int) -> str:
    return f"GAUNTLET-001-001-{row}-EURUSD"


def _cash_after_fills(fills: pd.DataFrame) -> float:
    """Independent accounting: cash moves by -size·price - fees for every fill."""
    return CASH - float((fills["size"] * fills["price"]).sum()) - float(fills["fees"].sum())


# -- rejection --------------------------------------------------------------------------------


def test_a_venue_rejection_is_reported_and_the_host_keeps_trading(
    bars: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_open = int(bars.index.asi8[CHANGE_ROWS[0] + 1])  # the first decision executes here
    _dry_quotes_at(monkeypatch, {first_open})

    result = _run(bars)

    rejected = [e for e in result.extras["events"] if e["kind"] == "rejected"]
    assert len(rejected) == 1 == result.extras["rejected"]
    assert rejected[0]["client_order_id"] == _client_id(CHANGE_ROWS[0])
    assert rejected[0]["instrument"] == INSTRUMENT
    assert rejected[0]["reason"] == f"no market with no fills for {INSTRUMENT}"
    orders = result.extras["nautilus_orders"]
    assert orders.loc[_client_id(CHANGE_ROWS[0]), "status"] == "REJECTED"
    # Not retried: exactly one order per target change, the others all filled.
    assert sorted(orders.index) == sorted(_client_id(r) for r in CHANGE_ROWS)
    assert (orders.drop(_client_id(CHANGE_ROWS[0]))["status"] == "FILLED").all()

    # Nothing was held until the next target change; that order is sized from the real
    # (flat) position: one equity's worth short, not the two a filled long would need.
    second = CHANGE_ROWS[1]
    assert (result.position.iloc[: second + 1] == 0.0).all()
    price = round(float(bars["open"].iloc[second + 1]), 5)
    assert orders.loc[_client_id(second), "side"] == "SELL"
    assert float(orders.loc[_client_id(second), "quantity"]) == math.floor(CASH / price)
    assert result.position.iloc[second + 1] == -math.floor(CASH / price)

    # The run finished and its result was written in full.
    assert result.equity.index.equals(bars.index)
    assert result.equity.notna().all()
    assert (result.equity.iloc[: second + 1] == CASH).all()
    assert len(result.trades) == 2  # short from row 11, long from row 21, flat from 31
    assert (result.trades["status"] == "closed").all()
    assert result.metrics.trades == 2
    fills = result.extras["orders"]
    cents = 0.01 * len(fills)  # NautilusTrader books P&L as Money, rounded per fill
    assert result.metrics.final_equity == pytest.approx(_cash_after_fills(fills), abs=cents)


def test_rejections_on_every_order_still_produce_a_flat_result(
    bars: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dry_quotes_at(monkeypatch, {int(bars.index.asi8[r + 1]) for r in CHANGE_ROWS})

    result = _run(bars)

    rejected = [e for e in result.extras["events"] if e["kind"] == "rejected"]
    assert [e["client_order_id"] for e in rejected] == [_client_id(r) for r in CHANGE_ROWS[:-1]]
    assert result.extras["rejected"] == len(rejected)
    # The last change (to flat) needs no order from a flat position: nothing to reject.
    assert (result.extras["nautilus_orders"]["status"] == "REJECTED").all()
    assert len(result.extras["orders"]) == 0
    assert (result.equity == CASH).all()
    assert (result.position == 0.0).all()
    assert len(result.trades) == 0
    assert result.metrics.final_equity == CASH


# -- partial fills ----------------------------------------------------------------------------


def test_market_orders_filled_in_parts_reach_the_intended_position(
    bars: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    depth = 30_000
    whole = _run(bars, commission=1e-4)
    _thin_book(monkeypatch, depth)

    result = _run(bars, commission=1e-4)

    orders = result.extras["nautilus_orders"]
    fills = result.extras["orders"]
    # One order per target change, no extra order for a remainder, each filled in full.
    assert sorted(orders.index) == sorted(_client_id(r) for r in CHANGE_ROWS)
    assert (orders["status"] == "FILLED").all()
    assert (orders["filled_qty"].astype(float) == orders["quantity"].astype(float)).all()
    for row in CHANGE_ROWS:
        quantity = float(orders.loc[_client_id(row), "quantity"])
        parts = fills[fills["time"] == bars.index[row + 1]]
        # Two book levels, then the remainder one tick further: up to three parts.
        assert len(parts) == min(math.ceil(quantity / depth), 3) >= 2
        assert parts["size"].abs().sum() == quantity
        # Each part walks one tick further into the book, against the order.
        sign = 1.0 if orders.loc[_client_id(row), "side"] == "BUY" else -1.0
        steps = np.diff(parts["price"].to_numpy()) * sign
        assert np.allclose(steps, 1e-5)

    # The position the host marked is the sum of the parts, bar by bar, and ends flat.
    per_row = fills.groupby("time")["size"].sum().reindex(bars.index, fill_value=0.0)
    assert np.allclose(result.position.to_numpy(), per_row.cumsum().to_numpy())
    assert result.position.iloc[-1] == 0.0
    # The +0.5 target, sized from the equity at the execution price (cash after the parts
    # so far plus the short at that price), is what the host holds until the next change.
    row = CHANGE_ROWS[2]
    price = round(float(bars["open"].iloc[row + 1]), 5)
    held = result.position.iloc[row]
    equity = _cash_after_fills(fills[fills["time"] <= bars.index[row]]) + held * price
    assert held < 0
    assert abs(result.position.iloc[row + 1] - math.floor(0.5 * equity / price)) <= 1

    # Accounting: fees per part, P&L at the parts' prices, booked trades at their VWAP.
    expected_fees = (fills["size"].abs() * fills["price"] * 1e-4).round(2)
    assert np.allclose(fills["fees"].to_numpy(), expected_fees.to_numpy(), atol=0.01)
    # NautilusTrader books P&L as Money: a cent of rounding per fill at most.
    cents = 0.01 * len(fills)
    assert result.metrics.final_equity == pytest.approx(_cash_after_fills(fills), abs=cents)
    assert result.trades["fees"].sum() == pytest.approx(fills["fees"].sum(), abs=1e-6)
    first = fills[fills["time"] == bars.index[CHANGE_ROWS[0] + 1]]
    vwap = float((first["size"] * first["price"]).sum() / first["size"].sum())
    assert result.trades["entry_price"].iloc[0] == pytest.approx(vwap, rel=1e-12)
    # Walking the book costs more than filling whole at the best price.
    assert vwap > whole.trades["entry_price"].iloc[0]
    assert result.metrics.final_equity < whole.metrics.final_equity


def test_a_remainder_left_working_counts_as_held_not_reordered(bars: pd.DataFrame) -> None:
    """On an L2 book with 30,000 units per side, NautilusTrader fills a market order up to
    that depth and leaves the rest working (Gauntlet's own venue is L1, where the rest
    always fills at once). The host counts that remainder as held: the next order is sized
    against filled + remaining, so the remainder is not ordered a second time."""
    depth = 30_000
    engine, host = _l2_engine(bars, depth)
    try:
        engine.run()
        report = engine.trader.generate_orders_report()
    finally:
        engine.dispose()

    orders = host.records.of_kind("order")
    assert [o["bar"] for o in orders] == CHANGE_ROWS  # one order per change, no top-ups
    assert (report["status"] == "PARTIALLY_FILLED").all()
    assert (report["filled_qty"].astype(float) == depth).all()
    first, second = (float(o["quantity"]) for o in orders[:2])
    remainder = first - depth
    assert remainder > 0
    # Target -1 at the second change: desired short minus (filled + still working) long.
    price = round(float(bars["open"].iloc[CHANGE_ROWS[1] + 1]), 5)
    entry = host.records.of_kind("fill")[0]["price"]
    desired = math.floor((CASH + depth * (price - entry)) / price)  # equity at that price
    assert abs(second - (desired + depth + remainder)) <= 1
    # The run completed: a mark on every bar, the position is what actually filled.
    assert len(host.records.equity) == N_BARS
    assert all(math.isfinite(e) for e in host.records.equity)
    assert host.records.positions[CHANGE_ROWS[0] + 1] == [float(depth)]
    assert host.records.positions[CHANGE_ROWS[1] + 1] == [0.0]


def _l2_engine(bars: pd.DataFrame, depth: int) -> tuple[Any, Any]:
    from decimal import Decimal

    from execution_engine.adapters.sandbox.providers import SIM_VENUE, fx_pair
    from execution_engine.bars import bar_interval_ns, to_feed
    from execution_engine.host import GauntletHostConfig, GauntletStrategyHost
    from execution_engine.host.config import bind_instruments
    from nautilus_trader.backtest.engine import BacktestEngine
    from nautilus_trader.config import BacktestEngineConfig, LoggingConfig
    from nautilus_trader.model.data import OrderBookDelta, OrderBookDeltas
    from nautilus_trader.model.enums import AccountType, BookAction, OmsType
    from nautilus_trader.model.identifiers import TraderId
    from nautilus_trader.model.objects import Money

    pair = fx_pair("EUR/USD")
    engine = BacktestEngine(
        BacktestEngineConfig(
            trader_id=TraderId("GAUNTLET-001"), logging=LoggingConfig(log_level="ERROR")
        )
    )
    engine.add_venue(
        SIM_VENUE,
        OmsType.NETTING,
        AccountType.MARGIN,
        [Money(CASH, pair.quote_currency)],
        base_currency=pair.quote_currency,
        default_leverage=Decimal(50),
        book_type=BookType.L2_MBP,
    )
    engine.add_instrument(pair)
    feed = to_feed(bars, pair, bar_interval_ns(bars.index))
    size = Quantity(depth, pair.size_precision)
    books = []
    for quote in feed.open_quotes:  # the venue's book: `depth` at the opening bid and ask
        ts = quote.ts_event - 1
        bid = BookOrder(OrderSide.BUY, quote.bid_price, size, 1)
        ask = BookOrder(OrderSide.SELL, quote.ask_price, size, 2)
        deltas = [
            OrderBookDelta.clear(pair.id, 0, ts, ts),
            OrderBookDelta(pair.id, BookAction.ADD, bid, 0, 0, ts, ts),
            OrderBookDelta(pair.id, BookAction.ADD, ask, 0, 0, ts, ts),
        ]
        books.append(OrderBookDeltas(pair.id, deltas))
    engine.add_data(feed.bars)
    engine.add_data(feed.open_quotes)
    engine.add_data(books)
    config = GauntletHostConfig(strategy_name="venue_fault_steps")
    host = GauntletStrategyHost(
        bind_instruments(config, [pair.id.value], [str(feed.bar_type)], columns=None)
    )
    engine.add_strategy(host)
    return engine, host
