"""Positions on netting and hedging accounts: opening, adding, reducing, reversing, closing
(by a deal, close-by, SL and TP), their profit in the account currency and the margin."""

from __future__ import annotations

from decimal import Decimal

from execution_engine.adapters.mt5.codes import Retcode
from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS, EngineConfig

from .conftest import Sim


def test_netting_adds_at_the_average_price(sim: Sim) -> None:
    first = sim.buy("0.10")
    sim.tick("1.10020", "1.10030")
    sim.buy("0.30")
    [position] = sim.positions()
    assert position["ticket"] == position["identifier"] == first["order"]
    assert position["volume"] == "0.40"
    assert position["price_open"] == "1.10025"  # (0.1 × 1.10010 + 0.3 × 1.10030) / 0.4


def test_netting_reduces_then_closes_with_profit_on_the_balance(sim: Sim) -> None:
    sim.buy("0.30")
    sim.tick("1.10110", "1.10120")
    sim.sell("0.10")
    [position] = sim.positions()
    assert position["volume"] == "0.20"
    sim.sell("0.20")
    assert sim.positions() == []
    entries = [(d["entry"], d["profit"]) for d in sim.deals()]
    # 100 points × 100 000 × lots: 0.1 lot → 10 USD, 0.2 lot → 20 USD
    assert entries == [
        ("DEAL_ENTRY_IN", "0.00"),
        ("DEAL_ENTRY_OUT", "10.00"),
        ("DEAL_ENTRY_OUT", "20.00"),
    ]
    assert sim.account()["balance"] == "100030.00"


def test_netting_reverses_with_one_inout_deal_and_keeps_the_identifier(sim: Sim) -> None:
    opened = sim.buy("0.10")
    sim.tick("1.10100", "1.10110")
    sim.sell("0.30")
    [position] = sim.positions()
    assert position["identifier"] == opened["order"]
    assert (position["type"], position["volume"]) == ("POSITION_TYPE_SELL", "0.20")
    assert position["price_open"] == "1.10100"
    reversal = sim.deals()[-1]
    assert (reversal["entry"], reversal["volume"], reversal["profit"]) == (
        "DEAL_ENTRY_INOUT",
        "0.30",
        "9.00",  # 0.1 lot closed 90 points up
    )
    assert sim.engine.net_volume("EURUSD") == Decimal("-0.20")


def test_hedging_opens_a_position_per_deal_and_closes_the_one_named(hedging: Sim) -> None:
    first = hedging.buy("0.10")
    second = hedging.buy("0.20")
    assert len(hedging.positions()) == 2
    close = hedging.sell("0.20", position=second["order"])
    assert close["retcode"] == Retcode.DONE
    [left] = hedging.positions()
    assert left["ticket"] == first["order"]
    assert hedging.deals()[-1]["entry"] == "DEAL_ENTRY_OUT"
    assert hedging.deals()[-1]["position_id"] == second["order"]


def test_hedging_opposite_deal_without_position_opens_a_new_one(hedging: Sim) -> None:
    hedging.buy("0.10")
    hedging.sell("0.10")
    kinds = sorted(p["type"] for p in hedging.positions())
    assert kinds == ["POSITION_TYPE_BUY", "POSITION_TYPE_SELL"]
    assert hedging.engine.net_volume("EURUSD") == Decimal(0)


def test_closing_more_than_the_position_is_10038(hedging: Sim) -> None:
    opened = hedging.buy("0.10")
    result = hedging.sell("0.20", position=opened["order"])
    assert result["retcode"] == Retcode.INVALID_CLOSE_VOLUME


def test_closing_a_closed_position_is_10036_and_an_unknown_one_10013(hedging: Sim) -> None:
    opened = hedging.buy("0.10")
    hedging.sell("0.10", position=opened["order"])
    assert hedging.sell("0.10", position=opened["order"])["retcode"] == Retcode.POSITION_CLOSED
    assert hedging.sell("0.10", position=999)["retcode"] == Retcode.INVALID


def test_close_by_closes_two_opposite_positions_at_the_opposite_open_price(hedging: Sim) -> None:
    buy = hedging.buy("0.30")
    hedging.tick("1.10100", "1.10110")
    sell = hedging.sell("0.10")
    result = hedging.send(
        action="TRADE_ACTION_CLOSE_BY",
        symbol="EURUSD",
        position=buy["order"],
        position_by=sell["order"],
        magic=7,
    )
    assert result["retcode"] == Retcode.DONE
    [left] = hedging.positions()
    assert (left["ticket"], left["volume"]) == (buy["order"], "0.20")
    out_by = [d for d in hedging.deals() if d["entry"] == "DEAL_ENTRY_OUT_BY"]
    assert [(d["position_id"], d["price"]) for d in out_by] == [
        (buy["order"], "1.10100"),
        (sell["order"], "1.10100"),
    ]
    assert sum(Decimal(d["profit"]) for d in out_by) == Decimal("9.00")  # 90 points × 0.1 lot
    [close_order] = [o for o in hedging.history_orders() if o["type"] == "ORDER_TYPE_CLOSE_BY"]
    assert close_order["state"] == "ORDER_STATE_FILLED"


def test_close_by_on_a_netting_account_is_10013(sim: Sim) -> None:
    result = sim.send(action="TRADE_ACTION_CLOSE_BY", symbol="EURUSD", position=1, position_by=2)
    assert result["retcode"] == Retcode.INVALID


def test_sltp_sets_the_stops_and_answers_10025_when_nothing_changes(sim: Sim) -> None:
    sim.buy("0.10")
    request = {"action": "TRADE_ACTION_SLTP", "symbol": "EURUSD", "sl": "1.09500", "tp": "1.11000"}
    assert sim.send(**request)["retcode"] == Retcode.DONE
    [position] = sim.positions()
    assert (position["sl"], position["tp"]) == ("1.09500", "1.11000")
    assert sim.send(**request)["retcode"] == Retcode.NO_CHANGES
    wrong = {**request, "sl": "1.10500"}
    assert sim.send(**wrong)["retcode"] == Retcode.INVALID_STOPS
    assert sim.transactions()[-1] == "POSITION"


def test_stop_loss_closes_a_buy_at_the_bid_with_reason_sl(sim: Sim) -> None:
    sim.buy("0.10", sl="1.09900")
    sim.tick("1.09950", "1.09960")
    assert len(sim.positions()) == 1
    sim.tick("1.09890", "1.09900")
    assert sim.positions() == []
    close = sim.deals()[-1]
    assert (close["reason"], close["price"], close["profit"]) == (
        "DEAL_REASON_SL",
        "1.09890",
        "-12.00",
    )
    assert close["comment"] == "[sl 1.09900]"


def test_take_profit_closes_a_sell_at_the_ask_with_reason_tp(hedging: Sim) -> None:
    hedging.sell("0.10", tp="1.09500")
    hedging.tick("1.09480", "1.09490")
    assert hedging.positions() == []
    close = hedging.deals()[-1]
    assert (close["reason"], close["price"]) == ("DEAL_REASON_TP", "1.09490")


def test_usdjpy_profit_is_converted_to_usd_at_the_current_price(sim: Sim) -> None:
    sim.market("ORDER_TYPE_BUY", "1.00", symbol="USDJPY")  # at 150.020
    sim.tick("151.020", "151.040", symbol="USDJPY")
    [position] = sim.positions()
    # 1.000 JPY × 100 000 = 100 000 JPY, at the mid 151.030 → 662.12 USD
    assert position["profit"] == "662.12"
    assert sim.account()["equity"] == "100662.12"


def test_margin_is_volume_times_contract_over_leverage_in_usd(sim: Sim) -> None:
    sim.buy("1.00")
    sim.market("ORDER_TYPE_BUY", "1.00", symbol="USDJPY")
    account = sim.account()
    # EURUSD: 100 000 EUR / 100 at 1.10005 = 1100.05; USDJPY: 100 000 USD / 100 = 1000
    assert account["margin"] == "2100.05"
    equity, margin = Decimal(account["equity"]), Decimal(account["margin"])
    assert Decimal(account["margin_free"]) == equity - margin
    assert account["margin_level"] == f"{equity / margin * 100:.2f}"


def test_mt4_accounts_are_hedging() -> None:
    config = EngineConfig(platform="mt4")
    assert config.hedging
    assert Sim(config).account()["margin_mode"] == "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING"


def test_a_stop_within_the_freeze_level_cannot_be_moved() -> None:
    spec = DEFAULT_SYMBOLS[0].model_copy(update={"freeze_level": 20})
    sim = Sim(EngineConfig(symbols=(spec,)))
    sim.tick("1.10000", "1.10010")
    sim.buy(sl="1.09900")
    sim.tick("1.09915", "1.09925")  # the SL is 15 points from the bid
    sltp = {"action": "TRADE_ACTION_SLTP", "symbol": "EURUSD", "sl": "1.09800"}
    assert sim.send(**sltp)["retcode"] == Retcode.FROZEN
