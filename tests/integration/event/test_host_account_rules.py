"""The host's account rules in Decimals, without a node (ADR 0002 §12-§13): the margin level,
calls and stop-outs, the initial-margin cut, and when a rebalance is due."""

from decimal import Decimal

from execution_engine.host.margin import MarginMonitor, MarginRates, margin_level
from execution_engine.host.rebalance import Due, Rebalancer, Snapshot
from execution_engine.host.records import HostRecords
from execution_engine.host.reporter import HostReporter

D = Decimal


def _monitor(
    initial: str, maintenance: str, call: float = 100.0, stop: float = 50.0
) -> tuple[MarginMonitor, HostRecords]:
    reporter = HostReporter(HostRecords(), ["A", "B"], now=lambda: 0, warn=lambda _: None)
    rates = MarginRates([D(initial)] * 2, [D(maintenance)] * 2)
    return MarginMonitor(rates, call, stop, reporter), reporter.records


def test_the_margin_level_counts_calls_and_flags_a_stop_out() -> None:
    monitor, records = _monitor("0.5", "0.25")
    # Short 1 000 A at 100 and long 500 B at 40: used 0.25 · (100 000 + 20 000) = 30 000.
    positions, closes = [D(-1000), D(500)], [D(100), D(40)]

    assert monitor.check(0, D(36_000), positions, closes) == D(120)  # 100 · 36 000 / 30 000
    assert records.events == []
    assert monitor.check(1, D(24_000), positions, closes) == D(80)
    assert [e["kind"] for e in records.events] == ["margin_call"]
    assert not monitor.stop_out_due
    level = monitor.check(2, D(14_000), positions, closes)
    assert level is not None
    assert level < 50  # 46.7 %
    assert [e["kind"] for e in records.events] == ["margin_call", "margin_call", "stop_out"]
    assert monitor.stop_out_due
    assert margin_level(D(1), D(0)) is None  # nothing held: no check


def test_an_order_is_cut_to_the_initial_margin_the_equity_covers() -> None:
    monitor, _ = _monitor("0.5", "0.5")
    prices = [D(100), D(50)]
    # Equity 10 000, B holds 100 units (2 500 of initial margin): A may hold 7 500 / 50 = 150.
    held = [D(0), D(100)]
    assert monitor.fits(0, D(120), held, prices, D(10_000)) == D(120)
    assert monitor.fits(0, D(-400), held, prices, D(10_000)) == D(-150)
    # Already past the limit, in the same direction: nothing is added, nothing is forced out.
    assert monitor.fits(0, D(300), [D(200), D(100)], prices, D(10_000)) == D(200)
    # A reduction never needs margin.
    assert monitor.fits(0, D(180), [D(200), D(100)], prices, D(10_000)) == D(180)


def test_rebalances_are_due_as_the_mode_says() -> None:
    snapshot = Snapshot(
        3,
        D(100_000),
        [D(60_000), D(0)],
        [D(1), D(2)],
    )  # weights 0.6, 0
    changed = {1: 0.5}
    targets = [0.5, 0.5]

    assert Rebalancer("off", 0.05).due(changed, targets, snapshot) == {1: Due(0.5, "target")}
    assert Rebalancer("every_bar", 0.05).due(changed, targets, snapshot) == {
        0: Due(0.5, "rebalance"),
        1: Due(0.5, "target"),
    }
    # |0.6 - 0.5| = 0.1: beyond 0.05, within 0.2.
    assert Rebalancer("drift", 0.05).due({}, targets, snapshot) == {
        0: Due(0.5, "rebalance"),
        1: Due(0.5, "rebalance"),
    }
    assert Rebalancer("drift", 0.2).due({}, [0.5, 0.0], snapshot) == {}
