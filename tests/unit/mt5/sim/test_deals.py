"""Market deals: instant execution and requotes, market execution, filling under limited
liquidity, and the server faults."""

from __future__ import annotations

from decimal import Decimal

from execution_engine.adapters.mt5.codes import Retcode
from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS, EngineConfig

from .conftest import Sim


def test_a_buy_fills_at_the_ask_and_answers_done(sim: Sim) -> None:
    result = sim.buy("0.10")
    assert result["retcode"] == Retcode.DONE
    assert (result["price"], result["volume"]) == ("1.10010", "0.10")
    assert (result["bid"], result["ask"]) == ("1.10000", "1.10010")
    assert result["order"] > 0
    assert result["deal"] > 0
    assert result["duplicate"] is False
    [deal] = sim.deals()
    assert (deal["ticket"], deal["order"]) == (result["deal"], result["order"])
    assert (deal["type"], deal["entry"], deal["reason"]) == (
        "DEAL_TYPE_BUY",
        "DEAL_ENTRY_IN",
        "DEAL_REASON_EXPERT",
    )
    [order] = sim.history_orders()
    assert order["state"] == "ORDER_STATE_FILLED"
    assert order["position_id"] == result["order"]


def test_instant_execution_requotes_beyond_the_deviation(sim: Sim) -> None:
    result = sim.buy(price="1.10000", deviation=5)  # the ask is 10 points away
    assert result["retcode"] == Retcode.REQUOTE
    assert (result["bid"], result["ask"]) == ("1.10000", "1.10010")
    assert sim.deals() == []


def test_within_the_deviation_it_fills_at_the_current_price(sim: Sim) -> None:
    result = sim.buy(price="1.10000", deviation=10)
    assert result["retcode"] == Retcode.DONE
    assert result["price"] == "1.10010"


def test_a_deal_without_a_price_is_priced_by_the_ea_at_the_current_quote(sim: Sim) -> None:
    request = {"action": "TRADE_ACTION_DEAL", "symbol": "EURUSD", "volume": "0.10"}
    bought = sim.send(**request, type="ORDER_TYPE_BUY")
    sold = sim.send(**request, type="ORDER_TYPE_SELL")
    assert (bought["retcode"], bought["price"]) == (Retcode.DONE, "1.10010")
    assert (sold["retcode"], sold["price"]) == (Retcode.DONE, "1.10000")


def test_market_execution_ignores_the_price() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"execution_mode": "SYMBOL_TRADE_EXECUTION_MARKET"})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    result = sim.buy(price="0")
    assert (result["retcode"], result["price"]) == (Retcode.DONE, "1.10010")


def test_a_requote_storm_requotes_the_next_n_deals_even_within_deviation(sim: Sim) -> None:
    sim.engine.faults.requotes = 2
    assert sim.buy()["retcode"] == Retcode.REQUOTE
    assert sim.buy()["retcode"] == Retcode.REQUOTE
    assert sim.buy()["retcode"] == Retcode.DONE


def test_reject_next_rejects_one_request_with_its_text(sim: Sim) -> None:
    sim.engine.faults.reject_next = "dealer said no"
    result = sim.buy()
    assert (result["retcode"], result["comment"]) == (Retcode.REJECT, "dealer said no")
    assert result["order"] == 0
    assert sim.history_orders() == []  # a rejected request leaves no order
    assert sim.buy()["retcode"] == Retcode.DONE


def test_fok_above_the_liquidity_is_rejected_whole(sim: Sim) -> None:
    sim.engine.faults.liquidity_lots = Decimal("0.30")
    result = sim.buy("0.50", type_filling="ORDER_FILLING_FOK")
    assert result["retcode"] == Retcode.REJECT
    assert sim.deals() == []
    assert sim.buy("0.30", type_filling="ORDER_FILLING_FOK")["retcode"] == Retcode.DONE


def test_ioc_fills_the_part_there_is_and_cancels_the_rest(sim: Sim) -> None:
    sim.engine.faults.liquidity_lots = Decimal("0.30")
    result = sim.buy("0.50", type_filling="ORDER_FILLING_IOC")
    assert (result["retcode"], result["volume"]) == (Retcode.DONE_PARTIAL, "0.30")
    [order] = sim.history_orders()
    assert (order["state"], order["volume_current"]) == ("ORDER_STATE_PARTIAL", "0.20")
    assert sim.orders() == []
    assert sim.engine.net_volume("EURUSD") == Decimal("0.30")


def test_return_keeps_the_rest_active_and_fills_it_on_later_ticks(sim: Sim) -> None:
    sim.engine.faults.liquidity_lots = Decimal("0.30")
    result = sim.buy("0.50", type_filling="ORDER_FILLING_RETURN")
    assert result["retcode"] == Retcode.DONE_PARTIAL
    [active] = sim.orders()
    assert (active["state"], active["volume_current"]) == ("ORDER_STATE_PARTIAL", "0.20")
    sim.tick("1.10005", "1.10015")
    assert sim.orders() == []
    [order] = sim.history_orders()
    assert order["state"] == "ORDER_STATE_FILLED"
    assert [d["volume"] for d in sim.deals()] == ["0.30", "0.20"]
    assert sim.engine.net_volume("EURUSD") == Decimal("0.50")


def test_mt4_ignores_the_filling_type() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"filling_mode": 1})
    sim = Sim(EngineConfig(platform="mt4", symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    assert sim.buy(type_filling="ORDER_FILLING_IOC")["retcode"] == Retcode.DONE


def test_the_comment_is_cut_to_31_characters(sim: Sim) -> None:
    sim.buy(comment="x" * 40)
    assert sim.deals()[0]["comment"] == "x" * 31
