"""Stop-out and swaps: the account's balance, equity and margin as the broker keeps them."""

from __future__ import annotations

from decimal import Decimal

from execution_engine.adapters.mt5.sim.config import EngineConfig

from .conftest import Sim


def _small_hedging() -> Sim:
    sim = Sim(EngineConfig(balance=Decimal(3000), margin_mode="ACCOUNT_MARGIN_MODE_RETAIL_HEDGING"))
    sim.tick("1.10000", "1.10010")
    sim.tick("150.000", "150.020", symbol="USDJPY")
    return sim


def test_stop_out_closes_the_most_losing_position_first_until_the_level_recovers() -> None:
    sim = _small_hedging()
    losing_more = sim.buy("1.00")
    losing_less = sim.market("ORDER_TYPE_BUY", "1.00", symbol="USDJPY")
    # EURUSD falls 200 points: -2000 USD on 1 lot; equity ~ 990, margin ~ 2080: level ~ 47%
    sim.tick("1.08000", "1.08010")
    [stop_out] = sim.of("stop_out")
    assert stop_out["positions"] == [losing_more["order"]]
    assert Decimal(stop_out["margin_level"]) <= 50
    [left] = sim.positions()
    assert left["ticket"] == losing_less["order"]
    close = sim.deals()[-1]
    assert (close["reason"], close["position_id"]) == ("DEAL_REASON_SO", losing_more["order"])
    assert close["comment"].startswith("[so ")
    assert Decimal(sim.account()["balance"]) == Decimal(3000) + Decimal(close["profit"])


def test_no_stop_out_above_the_level() -> None:
    sim = _small_hedging()
    sim.buy("1.00")
    sim.tick("1.09000", "1.09010")  # -1000: equity 2000 on ~1090 margin
    assert sim.of("stop_out") == []
    assert len(sim.positions()) == 1


def test_swaps_at_rollover_in_points_and_triple_on_wednesday(sim: Sim) -> None:
    sim.buy("1.00")  # swap_long -0.5 points × 0.00001 × 100 000 × 1 lot = -0.50 USD
    sim.sell("1.00", symbol="USDJPY")  # swap_short 0.2 points × 0.001 × 100 000 = 20 JPY
    sim.engine.rollover(weekday=0)
    eur, jpy = sim.positions()
    assert eur["swap"] == "-0.50"
    assert jpy["swap"] == "0.13"  # 20 JPY at the mid 150.010
    sim.engine.rollover(weekday=2)
    eur, jpy = sim.positions()
    assert eur["swap"] == "-2.00"
    assert jpy["swap"] == "0.53"


def test_the_closing_deal_carries_the_swap_to_the_balance(sim: Sim) -> None:
    sim.buy("1.00")
    sim.engine.rollover(weekday=2)  # -1.50
    sim.sell("0.50")
    close = sim.deals()[-1]
    assert close["swap"] == "-0.75"
    assert sim.positions()[0]["swap"] == "-0.75"
    assert Decimal(sim.account()["balance"]) == Decimal(100_000) + Decimal(
        close["profit"]
    ) - Decimal("0.75")


def test_equity_includes_floating_profit_and_swaps(sim: Sim) -> None:
    sim.buy("1.00")
    sim.engine.rollover(weekday=0)
    sim.tick("1.10110", "1.10120")
    account = sim.account()
    # 100 points × 1 lot = 100 USD, minus the 0.50 swap
    assert (account["balance"], account["equity"]) == ("100000.00", "100099.50")
