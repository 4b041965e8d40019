"""Pending orders: where each type may sit, placing, triggering, stop-limits, expiry,
modify and remove."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_engine.adapters.mt5.codes import Retcode
from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS, EngineConfig

from .conftest import T0, Sim


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("ORDER_TYPE_BUY_LIMIT", "1.09900", "1.10020"),
        ("ORDER_TYPE_SELL_LIMIT", "1.10100", "1.09990"),
        ("ORDER_TYPE_BUY_STOP", "1.10100", "1.10000"),
        ("ORDER_TYPE_SELL_STOP", "1.09900", "1.10010"),
    ],
)
def test_each_pending_type_on_its_side_of_the_market(
    sim: Sim, kind: str, good: str, bad: str
) -> None:
    assert sim.pending(kind, bad)["retcode"] == Retcode.INVALID_PRICE
    placed = sim.pending(kind, good)
    assert placed["retcode"] == Retcode.PLACED
    [order] = sim.orders()
    assert (order["ticket"], order["type"], order["state"]) == (
        placed["order"],
        kind,
        "ORDER_STATE_PLACED",
    )
    assert sim.transactions() == ["ORDER_ADD"]


def test_a_buy_limit_fills_when_the_ask_comes_down_to_it(sim: Sim) -> None:
    placed = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09900", sl="1.09500")
    sim.tick("1.09895", "1.09905")
    assert sim.positions() == []
    sim.tick("1.09880", "1.09890")
    [position] = sim.positions()
    assert (position["ticket"], position["price_open"], position["sl"]) == (
        placed["order"],
        "1.09890",
        "1.09500",
    )
    [order] = sim.history_orders()
    assert order["state"] == "ORDER_STATE_FILLED"
    assert sim.orders() == []


def test_a_sell_stop_fills_at_the_market_once_the_bid_reaches_it(sim: Sim) -> None:
    sim.pending("ORDER_TYPE_SELL_STOP", "1.09900")
    sim.tick("1.09850", "1.09860")  # a gap through the stop
    [deal] = sim.deals()
    assert (deal["type"], deal["price"]) == ("DEAL_TYPE_SELL", "1.09850")


def test_a_buy_stop_limit_becomes_a_buy_limit_and_fills_at_its_limit(sim: Sim) -> None:
    placed = sim.pending("ORDER_TYPE_BUY_STOP_LIMIT", "1.10100", stoplimit="1.10050")
    sim.tick("1.10100", "1.10110")  # the stop: now a buy limit at 1.10050
    [order] = sim.orders()
    assert (order["ticket"], order["type"], order["price_open"]) == (
        placed["order"],
        "ORDER_TYPE_BUY_LIMIT",
        "1.10050",
    )
    assert sim.positions() == []
    sim.tick("1.10030", "1.10040")
    [deal] = sim.deals()
    assert (deal["order"], deal["price"]) == (placed["order"], "1.10040")


def test_a_stop_limit_with_its_limit_on_the_wrong_side_is_10015(sim: Sim) -> None:
    result = sim.pending("ORDER_TYPE_BUY_STOP_LIMIT", "1.10100", stoplimit="1.10200")
    assert result["retcode"] == Retcode.INVALID_PRICE


def test_mt4_has_no_stop_limit_orders() -> None:
    sim = Sim(EngineConfig(platform="mt4"))
    sim.tick("1.10000", "1.10010")
    result = sim.pending("ORDER_TYPE_BUY_STOP_LIMIT", "1.10100", stoplimit="1.10050")
    assert result["retcode"] == Retcode.INVALID


def test_pending_stops_are_checked_against_the_order_price(sim: Sim) -> None:
    result = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09900", sl="1.09950")
    assert result["retcode"] == Retcode.INVALID_STOPS


def test_a_day_order_expires_at_the_end_of_the_utc_day(sim: Sim) -> None:
    sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", type_time="ORDER_TIME_DAY")
    sim.now = T0 + 86_400_000 - 10
    sim.tick("1.10000", "1.10010", advance_ms=0)
    assert len(sim.orders()) == 1
    sim.tick("1.10000", "1.10010", advance_ms=10)
    assert sim.orders() == []
    [order] = sim.history_orders()
    assert order["state"] == "ORDER_STATE_EXPIRED"
    assert order["time_done_ms"] == T0 + 86_400_000


def test_a_specified_order_expires_at_its_time(sim: Sim) -> None:
    ends = sim.now + 60_000
    sim.pending(
        "ORDER_TYPE_SELL_LIMIT", "1.11000", type_time="ORDER_TIME_SPECIFIED", expiration_ms=ends
    )
    sim.tick("1.10000", "1.10010", advance_ms=59_000)
    assert len(sim.orders()) == 1
    sim.tick("1.10000", "1.10010", advance_ms=1_000)
    assert sim.history_orders()[0]["state"] == "ORDER_STATE_EXPIRED"


def test_a_specified_day_order_lives_to_the_end_of_that_day(sim: Sim) -> None:
    sim.pending(
        "ORDER_TYPE_SELL_LIMIT",
        "1.11000",
        type_time="ORDER_TIME_SPECIFIED_DAY",
        expiration_ms=sim.now + 60_000,
    )
    sim.tick("1.10000", "1.10010", advance_ms=3_600_000)
    assert len(sim.orders()) == 1
    sim.now = T0 + 86_400_000
    sim.tick("1.10000", "1.10010", advance_ms=0)
    assert sim.orders() == []


def test_modify_moves_the_price_and_answers_10025_for_no_change(sim: Sim) -> None:
    placed = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09900")
    change = {
        "action": "TRADE_ACTION_MODIFY",
        "order": placed["order"],
        "price": "1.09800",
        "sl": "1.09500",
    }
    assert sim.send(**change)["retcode"] == Retcode.DONE
    [order] = sim.orders()
    assert (order["price_open"], order["sl"]) == ("1.09800", "1.09500")
    assert sim.send(**change)["retcode"] == Retcode.NO_CHANGES
    assert sim.send(**{**change, "price": "1.10500"})["retcode"] == Retcode.INVALID_PRICE
    assert sim.transactions() == ["ORDER_ADD", "ORDER_UPDATE"]


def test_remove_cancels_and_a_second_remove_is_10013(sim: Sim) -> None:
    placed = sim.pending("ORDER_TYPE_SELL_STOP", "1.09900")
    remove = {"action": "TRADE_ACTION_REMOVE", "order": placed["order"]}
    assert sim.send(**remove)["retcode"] == Retcode.DONE
    assert sim.orders() == []
    assert sim.history_orders()[0]["state"] == "ORDER_STATE_CANCELED"
    assert sim.send(**remove)["retcode"] == Retcode.INVALID
    assert sim.transactions() == ["ORDER_ADD", "ORDER_DELETE", "HISTORY_ADD"]


def test_a_pending_order_without_the_margin_when_it_triggers_is_rejected() -> None:
    sim = Sim(EngineConfig(balance=Decimal(500)))
    sim.tick("1.10000", "1.10010")
    sim.pending("ORDER_TYPE_BUY_STOP", "1.10100", volume="1.00")  # needs about 1100 USD
    sim.tick("1.10100", "1.10110")
    assert sim.positions() == []
    assert sim.history_orders()[0]["state"] == "ORDER_STATE_REJECTED"


def test_a_closed_market_triggers_nothing(sim: Sim) -> None:
    sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09900")
    sim.engine.faults.market_closed.add("EURUSD")
    sim.tick("1.09800", "1.09810")
    assert len(sim.orders()) == 1
    assert (
        sim.send(action="TRADE_ACTION_REMOVE", order=sim.orders()[0]["ticket"])["retcode"]
        == Retcode.MARKET_CLOSED
    )


def _levels(stops: int = 0, freeze: int = 0) -> Sim:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"stops_level": stops, "freeze_level": freeze})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    return sim


def test_a_pending_price_inside_the_stops_level_is_10015() -> None:
    sim = _levels(stops=20)
    assert sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09995")["retcode"] == Retcode.INVALID_PRICE
    assert sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09990")["retcode"] == Retcode.PLACED


def test_an_order_within_the_freeze_level_cannot_be_modified_or_removed() -> None:
    sim = _levels(freeze=30)
    placed = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09900")
    sim.tick("1.09920", "1.09930")  # the limit is now 30 points from the ask
    remove = {"action": "TRADE_ACTION_REMOVE", "order": placed["order"]}
    assert sim.send(**remove)["retcode"] == Retcode.FROZEN
    modify = {"action": "TRADE_ACTION_MODIFY", "order": placed["order"], "price": "1.09800"}
    assert sim.send(**modify)["retcode"] == Retcode.FROZEN
    sim.tick("1.10000", "1.10010")
    assert sim.send(**remove)["retcode"] == Retcode.DONE
