"""The EA's duplicate guard: a key already on the terminal is never sent again."""

from __future__ import annotations

from execution_engine.adapters.mt5.codes import Retcode
from execution_engine.adapters.mt5.keys import comment_key

from .conftest import Sim


def test_a_filled_key_answers_its_first_result_and_sends_nothing(sim: Sim) -> None:
    key = comment_key("O-1")
    first = sim.buy(comment=key)
    again = sim.buy(comment=key)
    assert again["duplicate"] is True
    assert {k: v for k, v in again.items() if k != "duplicate"} == {
        k: v for k, v in first.items() if k != "duplicate"
    }
    assert len(sim.deals()) == 1
    assert sim.engine.requests_with_key(key) == 1


def test_an_active_pending_key_answers_placed(sim: Sim) -> None:
    key = comment_key("O-2")
    placed = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", comment=key)
    again = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", comment=key)
    assert (again["retcode"], again["order"], again["duplicate"]) == (
        Retcode.PLACED,
        placed["order"],
        True,
    )
    assert len(sim.orders()) == 1


def test_another_magic_is_not_a_duplicate(sim: Sim) -> None:
    key = comment_key("O-3")
    sim.buy(comment=key)
    other = sim.buy(comment=key, magic=8)
    assert other["duplicate"] is False
    assert len(sim.deals()) == 2


def test_a_rejected_key_left_nothing_so_it_may_be_sent_again(sim: Sim) -> None:
    key = comment_key("O-4")
    assert sim.buy("0.015", comment=key)["retcode"] == Retcode.INVALID_VOLUME
    assert sim.buy(comment=key)["duplicate"] is False
    assert sim.engine.requests_with_key(key) == 2


def test_autotrading_off_does_not_count_as_sent(sim: Sim) -> None:
    key = comment_key("O-5")
    sim.engine.set_trade_allowed(False)
    sim.buy(comment=key)
    assert sim.engine.requests_with_key(key) == 0


def test_the_guard_sees_a_key_the_server_suffixed(sim: Sim) -> None:
    key = comment_key("O-6")
    sim.buy(comment=key + "[x]")
    assert sim.buy(comment=key)["duplicate"] is True
