"""OrderSend's checks, each refused with MetaTrader's retcode and nothing traded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_engine.adapters.mt5.codes import ErrorCode, OpError, Retcode, TradeMode
from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS, EngineConfig

from .conftest import Sim


def _nothing_traded(sim: Sim) -> None:
    assert sim.positions() == []
    assert sim.deals() == []
    assert sim.history_orders() == []


def test_autotrading_off_is_10027_with_what_to_switch_on(sim: Sim) -> None:
    sim.engine.set_trade_allowed(False)
    result = sim.buy()
    assert result["retcode"] == Retcode.CLIENT_DISABLES_AT
    assert "Algo Trading" in result["comment"]
    _nothing_traded(sim)
    assert sim.of("terminal") == [{"trade_allowed": False, "connected": True}]
    assert sim.account()["trade_allowed"] is False


def test_unknown_symbol_is_10013_for_order_send_and_an_error_for_queries(sim: Sim) -> None:
    result = sim.send(
        action="TRADE_ACTION_DEAL", symbol="XAUEUR", type="ORDER_TYPE_BUY", volume="1"
    )
    assert result["retcode"] == Retcode.INVALID
    assert "XAUEUR" in result["comment"]
    with pytest.raises(OpError) as raised:
        sim.engine.handle("tick", {"symbol": "XAUEUR"})
    assert raised.value.code == ErrorCode.UNKNOWN_SYMBOL


def test_trade_disabled_is_10017() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"trade_mode": TradeMode.DISABLED})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    assert sim.buy()["retcode"] == Retcode.TRADE_DISABLED


def test_long_only_refuses_a_short_but_not_closing_a_long() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"trade_mode": TradeMode.LONG_ONLY})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    assert sim.sell()["retcode"] == Retcode.TRADE_DISABLED
    assert sim.buy("0.20")["retcode"] == Retcode.DONE
    assert sim.sell("0.20")["retcode"] == Retcode.DONE


def test_market_closed_is_10018(sim: Sim) -> None:
    sim.engine.faults.market_closed.add("EURUSD")
    assert sim.buy()["retcode"] == Retcode.MARKET_CLOSED
    assert sim.market("ORDER_TYPE_BUY", symbol="USDJPY")["retcode"] == Retcode.DONE


@pytest.mark.parametrize("volume", ["0.001", "100.01", "0.015", "0"])
def test_volume_outside_the_range_or_off_the_step_is_10014(sim: Sim, volume: str) -> None:
    result = sim.buy(volume)
    assert result["retcode"] == Retcode.INVALID_VOLUME
    _nothing_traded(sim)


def test_the_step_message_names_the_step(sim: Sim) -> None:
    assert "step 0.01" in sim.buy("0.015")["comment"]


def test_a_price_with_more_digits_than_the_symbol_is_10015(sim: Sim) -> None:
    result = sim.buy(price="1.100101")
    assert result["retcode"] == Retcode.INVALID_PRICE


@pytest.mark.parametrize(
    ("kind", "sl", "tp"),
    [
        ("ORDER_TYPE_BUY", "1.10050", "0"),  # SL above the bid
        ("ORDER_TYPE_BUY", "0", "1.09900"),  # TP below the bid
        ("ORDER_TYPE_SELL", "1.09900", "0"),  # SL below the ask
        ("ORDER_TYPE_SELL", "0", "1.10100"),  # TP above the ask
        ("ORDER_TYPE_BUY", "1.10000", "0"),  # SL at the bid itself
    ],
)
def test_stops_on_the_wrong_side_are_10016(sim: Sim, kind: str, sl: str, tp: str) -> None:
    assert sim.market(kind, sl=sl, tp=tp)["retcode"] == Retcode.INVALID_STOPS


def test_stops_inside_the_stops_level_are_10016() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"stops_level": 50})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    assert sim.buy(sl="1.09960")["retcode"] == Retcode.INVALID_STOPS  # 40 points away
    assert sim.buy(sl="1.09950", tp="1.10050")["retcode"] == Retcode.DONE  # 50 points


def test_a_filling_the_symbol_does_not_allow_is_10030() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"filling_mode": 1})  # FOK only
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    assert sim.buy(type_filling="ORDER_FILLING_IOC")["retcode"] == Retcode.INVALID_FILL
    assert sim.buy(type_filling="ORDER_FILLING_RETURN")["retcode"] == Retcode.DONE  # instant


def test_return_filling_under_market_execution_is_10030() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"execution_mode": "SYMBOL_TRADE_EXECUTION_MARKET"})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    assert sim.buy(type_filling="ORDER_FILLING_RETURN")["retcode"] == Retcode.INVALID_FILL


def test_an_expiration_not_allowed_or_in_the_past_is_10022() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"expiration_mode": 1 | 4})  # GTC, SPECIFIED
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    day = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", type_time="ORDER_TIME_DAY")
    assert day["retcode"] == Retcode.INVALID_EXPIRATION
    past = sim.pending(
        "ORDER_TYPE_BUY_LIMIT",
        "1.09000",
        type_time="ORDER_TIME_SPECIFIED",
        expiration_ms=sim.now - 1,
    )
    assert past["retcode"] == Retcode.INVALID_EXPIRATION
    ahead = sim.pending(
        "ORDER_TYPE_BUY_LIMIT",
        "1.09000",
        type_time="ORDER_TIME_SPECIFIED",
        expiration_ms=sim.now + 60_000,
    )
    assert ahead["retcode"] == Retcode.PLACED


def test_not_enough_free_margin_is_10019() -> None:
    sim = Sim(EngineConfig(balance=Decimal(1000)))
    sim.tick("1.10000", "1.10010")
    result = sim.buy("1.00")  # 1 lot at 1.1 with 1:100 takes about 1100 USD
    assert result["retcode"] == Retcode.NO_MONEY
    assert "free" in result["comment"]
    assert sim.buy("0.50")["retcode"] == Retcode.DONE


def test_no_quote_yet_is_10021() -> None:
    sim = Sim()
    result = sim.send(
        action="TRADE_ACTION_DEAL",
        symbol="EURUSD",
        type="ORDER_TYPE_BUY",
        volume="0.10",
        price="1.10000",
    )
    assert result["retcode"] == Retcode.PRICE_OFF


def test_unknown_enum_names_are_10013(sim: Sim) -> None:
    assert sim.send(action="TRADE_ACTION_TELEPORT", symbol="EURUSD")["retcode"] == Retcode.INVALID
    assert sim.buy(type_filling="ORDER_FILLING_SOMETIMES")["retcode"] == Retcode.INVALID


def test_a_request_the_ea_cannot_build_is_bad_args(sim: Sim) -> None:
    with pytest.raises(OpError) as raised:
        sim.send(action="TRADE_ACTION_DEAL", symbol="EURUSD", volume=0.1)
    assert raised.value.code == ErrorCode.BAD_ARGS
    assert "decimal string" in raised.value.message
    with pytest.raises(OpError):
        sim.engine.handle("order_send", {})


def test_checks_come_in_metatraders_order(sim: Sim) -> None:
    """Bad volume and bad stops together: the volume is checked first."""
    assert sim.buy("0.015", sl="1.20000")["retcode"] == Retcode.INVALID_VOLUME
    sim.engine.faults.market_closed.add("EURUSD")
    assert sim.buy("0.015")["retcode"] == Retcode.MARKET_CLOSED


def test_a_pending_order_keeps_its_filling_outside_exchange_execution() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"filling_mode": 1})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    placed = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", type_filling="ORDER_FILLING_RETURN")
    assert placed["retcode"] == Retcode.PLACED
    assert sim.orders()[0]["type_filling"] == "ORDER_FILLING_RETURN"


def test_a_pending_order_on_exchange_execution_needs_an_allowed_filling() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(
        update={"filling_mode": 1, "execution_mode": "SYMBOL_TRADE_EXECUTION_EXCHANGE"}
    )
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    refused = sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", type_filling="ORDER_FILLING_IOC")
    assert refused["retcode"] == Retcode.INVALID_FILL
