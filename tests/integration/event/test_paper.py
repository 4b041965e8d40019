"""Paper trading: live TradingNode + sandbox venue + replaying data client, and the kill switch."""

import json
import time
from pathlib import Path

import msgspec
import pytest
from execution_engine.host import GauntletHostConfig
from execution_engine.paper import PaperConfig, run_paper
from execution_engine.paper.journal import read_events
from execution_engine.risk import RiskLimits, write_state

from tests.integration.event.conftest import fx_bars

pytestmark = pytest.mark.slow


def _paper(run_dir: Path, n: int = 240, **risk: object) -> PaperConfig:
    bars = fx_bars("EUR/USD", n=n)
    return PaperConfig(
        host=GauntletHostConfig(
            strategy_name="sma_cross",
            strategy_params={"fast": 3, "slow": 8},
            window=50,
            execute_at="bar_close",
        ),
        frames={"EUR/USD": bars},
        instrument_names={"EUR/USD": "EUR/USD"},
        panel=False,
        run_dir=run_dir,
        speed=0.0,
        risk=RiskLimits(**risk),  # type: ignore[arg-type]
    )


def test_max_speed_session_writes_orders_fills_and_pnl(tmp_path: Path) -> None:
    result = run_paper(_paper(tmp_path / "run"))

    events = read_events(tmp_path / "run")
    kinds = [e["kind"] for e in events]
    assert result.orders == kinds.count("order") > 5
    assert result.fills == kinds.count("fill") == result.orders
    assert kinds.count("mark") == 240  # a bar is marked when the next arrives; the last at stop
    fills = [e for e in events if e["kind"] == "fill"]
    assert {f["client_order_id"] for f in fills} == {
        e["client_order_id"] for e in events if e["kind"] == "order"
    }
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["fills"] == result.fills
    assert (summary["denied"], summary["rejected"]) == (result.denied, result.rejected) == (0, 0)
    assert summary["trading_state"] == "ACTIVE"
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "finished"
    # The live path really ran: every order reached the venue's execution client.
    assert [cid for cid, _ in result.submitted] == [
        e["client_order_id"] for e in events if e["kind"] == "order"
    ]
    # As fast as possible is still in step: each order fills at the close it was decided on
    # (bar-close execution, no slippage), not at a later bar's price.
    decided = {e["client_order_id"]: e["price"] for e in events if e["kind"] == "order"}
    assert [f["price"] for f in fills] == [decided[f["client_order_id"]] for f in fills]


def test_kill_halts_within_one_bar_and_no_order_reaches_the_venue(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    marks_at_kill: list[int] = []
    marks = 0

    def kill_after_third_fill(event: dict[str, object]) -> None:
        nonlocal marks
        if event["kind"] == "mark":
            marks += 1
        if event["kind"] == "fill" and not marks_at_kill:
            fills = sum(1 for e in read_events(run_dir) if e["kind"] == "fill")
            if fills >= 3:
                write_state(run_dir, "HALTED")  # what `gauntlet kill` does
                marks_at_kill.append(marks)

    result = run_paper(_paper(run_dir), echo=kill_after_third_fill)

    events = read_events(run_dir)
    halted_at = next(i for i, e in enumerate(events) if e.get("state") == "HALTED")
    marks_before_halt = sum(1 for e in events[:halted_at] if e["kind"] == "mark")
    assert marks_before_halt - marks_at_kill[0] <= 1  # within one bar
    after = events[halted_at:]
    orders_after = [e["client_order_id"] for e in after if e["kind"] == "order"]
    assert orders_after  # the strategy kept deciding...
    denied = {e["client_order_id"] for e in after if e["kind"] == "denied"}
    assert set(orders_after) == denied  # ...and the risk engine denied every order
    assert not [e for e in after if e["kind"] == "fill"]
    submitted = {cid for cid, _ in result.submitted}
    assert submitted.isdisjoint(orders_after)  # nothing reached the venue
    assert result.trading_state == "HALTED"
    assert "HALTED" in next(e for e in after if e["kind"] == "denied")["reason"]


def test_a_control_file_with_garbage_is_reported_and_ignored(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    seen: list[str] = []

    def scribble(event: dict[str, object]) -> None:
        if event["kind"] == "fill" and not seen:
            (run_dir / "control").write_text("STOP PLEASE\n")
            seen.append("written")

    result = run_paper(_paper(run_dir, n=120), echo=scribble)

    states = [e["state"] for e in read_events(run_dir) if e["kind"] == "trading_state"]
    assert len(states) == 1
    assert "is not a trading state" in states[0]
    assert result.trading_state == "ACTIVE"


def test_a_node_that_fails_is_left_saying_crashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heartbeat (the kill switch between bars) failing ends the session at once: a node
    that can no longer be killed between bars must not keep trading."""
    import asyncio

    from execution_engine.paper import session

    async def failing_heartbeat(*_: object) -> None:
        await asyncio.sleep(0.05)
        raise OSError("disk full")

    monkeypatch.setattr(session, "heartbeat", failing_heartbeat)
    started = time.monotonic()

    with pytest.raises(OSError, match="disk full"):
        run_paper(_paper(tmp_path / "run", n=240).model_copy(update={"speed": 3600.0}))

    assert time.monotonic() - started < 30  # 240 bars would take 240 s
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "crashed"


def test_paper_fills_carry_the_spread_and_slippage_like_a_backtest(tmp_path: Path) -> None:
    spread, slippage = 0.0002, 0.0001
    paper = _paper(tmp_path / "run", n=120).model_copy(
        update={"spread": spread, "slippage": slippage, "commission": 1e-4}
    )
    result = run_paper(paper)

    events = read_events(tmp_path / "run")
    decided = {e["client_order_id"]: e["price"] for e in events if e["kind"] == "order"}
    fills = [e for e in events if e["kind"] == "fill"]
    assert len(fills) == result.orders > 3
    for fill in fills:
        close = decided[fill["client_order_id"]]
        side = 1 if fill["side"] == "BUY" else -1
        # ADR 0002 §6 at the bar's close: close·(1 ± slippage) ± spread/2, on the tick.
        expected = round(close * (1 + side * slippage) + side * spread / 2, 5)
        assert fill["price"] == pytest.approx(expected, abs=1e-9)
        assert fill["commission"] > 0


def test_paper_runs_a_cash_account_whose_cash_never_goes_below_zero(tmp_path: Path) -> None:
    paper = _paper(tmp_path / "run", n=120).model_copy(
        update={"account": "cash", "spread": 0.0002, "commission": 2e-4}
    )
    paper = paper.model_copy(update={"host": msgspec.structs.replace(paper.host, long_only=True)})
    run_paper(paper)

    events = read_events(tmp_path / "run")
    orders = [e for e in events if e["kind"] == "order"]
    assert any(o["limited"] for o in orders)  # a full buy is cut to what the cash pays for
    marks = [e for e in events if e["kind"] == "mark"]
    closes = fx_bars("EUR/USD", n=120)["close"].round(5).to_numpy()
    cash = [m["equity"] - m["positions"][0] * closes[i] for i, m in enumerate(marks)]
    assert min(cash) >= 0.0  # reserved at the venue's ask, fees included
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert (status["account"], status["rebalance"]) == ("cash", "off")


def test_paper_rebalances_every_bar(tmp_path: Path) -> None:
    paper = _paper(tmp_path / "run", n=120).model_copy(update={"rebalance": "every_bar"})
    run_paper(paper)

    orders = [e for e in read_events(tmp_path / "run") if e["kind"] == "order"]
    reasons = [o["reason"] for o in orders]
    assert set(reasons) == {"target", "rebalance"}
    assert reasons.count("rebalance") > reasons.count("target")


def test_a_cash_account_paper_node_goes_flat_on_a_short_target(tmp_path: Path) -> None:
    # A live node cannot refuse the run up front: each short target is reported, traded as 0.
    run_paper(_paper(tmp_path / "run", n=120).model_copy(update={"account": "cash"}))

    events = read_events(tmp_path / "run")
    assert any(e["kind"] == "short_refused" for e in events)
    orders = [e for e in events if e["kind"] == "order"]
    assert len(orders) > 2
    assert {o["target"] for o in orders} == {0.0, 1.0}
    assert min(m["positions"][0] for m in events if m["kind"] == "mark") == 0.0
