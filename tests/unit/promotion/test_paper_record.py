"""The paper record from a run folder written by the real run journal."""

import json

import pandas as pd
import pytest
from execution_engine.paper.journal import RunJournal

from research.promotion.errors import PromotionInputError
from research.promotion.paper_record import read_paper_record

HOUR = 3600 * 10**9
T0 = pd.Timestamp("2024-01-01", tz="UTC").value


def _write_run(run_dir, *, with_price=True, marks=48):
    journal = RunJournal(run_dir)
    for i in range(marks):  # 48 hourly bars cover 2 days of market time
        journal(
            {"kind": "mark", "bar_time": T0 + i * HOUR, "equity": 100_000.0 + i, "positions": [0.0]}
        )
    orders = [("A", "BUY", 1000.0, 1.1000, 1.1011), ("B", "SELL", 3000.0, 1.2000, 1.1988)]
    for cid, side, qty, ref, fill in orders:
        order = {"kind": "order", "client_order_id": cid, "side": side, "quantity": str(qty)}
        if with_price:
            order["price"] = ref
        journal(order)
        journal({"kind": "fill", "client_order_id": cid, "side": side, "quantity": qty,
                 "price": fill, "commission": 0.0})  # fmt: skip
    journal.status(state="finished", strategy="sma_cross", instruments=["EUR/USD.SIM"])
    journal.summary({"orders": 2, "fills": 2})
    journal.close()


def test_duration_fills_equity_and_slippage(tmp_path):
    _write_run(tmp_path)
    rec = read_paper_record(tmp_path)
    assert rec.duration_days == pytest.approx(
        2.0
    )  # 47 h between first and last open + the last bar
    assert rec.fills == 2
    assert rec.orders == 2
    assert rec.strategy == "sma_cross"
    assert rec.state == "finished"
    assert len(rec.equity) == 48
    assert rec.equity.iloc[-1] == 100_047.0
    assert rec.returns[0] == 0.0  # no starting cash given: research.metrics takes r_0 = 0
    assert rec.returns[1] == pytest.approx(1 / 100_000)
    assert rec.periods_per_year == 6048.0  # hourly bars, research.metrics FX-week convention
    # Buy 1,000 @ ref 1.1 filled 1.1011: +0.1% adverse on 1,100 notional;
    # sell 3,000 @ ref 1.2 filled 1.1988: +0.1% adverse on 3,600 notional.
    assert rec.realized_slippage == pytest.approx(0.001)
    assert rec.slippage_fills == 2
    assert len(rec.content_hash) == 64
    assert rec.to_dict()["duration_days"] == pytest.approx(2.0)


def test_favourable_fills_give_negative_slippage(tmp_path):
    journal = RunJournal(tmp_path)
    for i in range(3):
        journal({"kind": "mark", "bar_time": T0 + i * HOUR, "equity": 1.0, "positions": [0.0]})
    journal({"kind": "order", "client_order_id": "A", "side": "SELL", "price": 1.0})
    journal(
        {"kind": "fill", "client_order_id": "A", "side": "SELL", "quantity": 1.0, "price": 1.01}
    )
    journal.close()
    assert read_paper_record(tmp_path).realized_slippage == pytest.approx(-0.01)


def test_orders_without_decision_price_leave_slippage_unknown(tmp_path):
    _write_run(tmp_path, with_price=False)
    rec = read_paper_record(tmp_path)
    assert rec.realized_slippage is None
    assert rec.slippage_fills == 0


def test_not_a_paper_run(tmp_path):
    with pytest.raises(PromotionInputError, match=r"no events\.jsonl"):
        read_paper_record(tmp_path)
    _write_run(tmp_path, marks=1)
    with pytest.raises(PromotionInputError, match="1 marked bars"):
        read_paper_record(tmp_path)
    (tmp_path / "events.jsonl").write_text("{not json\n")
    with pytest.raises(PromotionInputError, match="unreadable"):
        read_paper_record(tmp_path)
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "finished"
