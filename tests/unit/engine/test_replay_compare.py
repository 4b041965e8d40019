"""How a replay is held against the live session it was recorded from (ReplayResult)."""

from __future__ import annotations

from typing import Any

from execution_engine.backtest.replay import ReplayResult


def _bars(n: int) -> list[dict[str, Any]]:
    return [{"ts_event": 1_000 * (i + 1), "close": f"1.10{i:03d}"} for i in range(n)]


def _order(bar: int, side: str) -> dict[str, Any]:
    return {"bar": bar, "side": side, "quantity": "1000", "target": 1.0 if side == "BUY" else -1.0}


def _result(
    replayed: list[dict[str, Any]], live: list[dict[str, Any]], orders: list[dict[str, Any]],
    live_orders: list[dict[str, Any]],
) -> ReplayResult:  # fmt: skip
    return ReplayResult(
        quotes=4 * len(replayed), bars=replayed, orders=orders, live_bars=live,
        live_orders=live_orders,
    )  # fmt: skip


def test_bars_closed_by_quotes_still_queued_when_the_strategy_stopped_are_not_a_difference() -> (
    None
):
    # The recorder took two more bars' quotes than the strategy saw; the replay decided on them.
    live_orders = [_order(1, "SELL"), _order(4, "BUY")]
    result = _result(_bars(6), _bars(4), [*live_orders, _order(6, "SELL")], live_orders)
    assert result.difference is None


def test_the_live_cache_keeping_only_its_newest_bars_is_compared_from_its_first() -> None:
    result = _result(_bars(6), _bars(6)[2:], [_order(3, "BUY")], [_order(3, "BUY")])
    assert result.difference is None


def test_a_bar_the_replay_does_not_have_is_a_difference() -> None:
    live = _bars(4)
    replayed = [*live[:2], {"ts_event": 9_999, "close": "1.2"}, *live[3:]]
    assert (result := _result(replayed, live, [], []).difference) is not None
    assert result.startswith("bar 3: live")


def test_an_order_the_live_session_did_not_make_on_its_bars_is_a_difference() -> None:
    result = _result(_bars(4), _bars(4), [_order(1, "SELL"), _order(3, "BUY")], [_order(1, "SELL")])
    assert result.difference == "the live session has 1 orders, the replay 2"


def test_a_live_first_bar_the_replay_never_made_shows_the_tail() -> None:
    live = [{"ts_event": 5, "close": "9"}, *_bars(2)]
    assert _result(_bars(5), live, [], []).difference is not None
