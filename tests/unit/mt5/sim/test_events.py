"""The events the EA sends unasked, and the inspection counters built on them."""

from __future__ import annotations

from execution_engine.adapters.mt5.keys import comment_key

from .conftest import T0, Sim


def test_a_market_deal_reports_order_add_deal_add_order_delete_history_add(sim: Sim) -> None:
    sim.events.clear()
    result = sim.buy()
    assert sim.transactions() == ["ORDER_ADD", "DEAL_ADD", "ORDER_DELETE", "HISTORY_ADD"]
    deal_add = next(d for d in sim.of("transaction") if d["type"].endswith("DEAL_ADD"))
    assert deal_add["deal"] == result["deal"]
    assert deal_add["deal_record"] == sim.deals()[0]
    history_add = sim.of("transaction")[-1]
    assert history_add["order_record"] == sim.history_orders()[0]


def test_account_events_follow_trades_not_every_tick(sim: Sim) -> None:
    sim.events.clear()
    sim.buy("1.00")
    [after_trade] = sim.of("account")
    assert after_trade["margin"] != "0.00"
    sim.tick("1.10020", "1.10030", advance_ms=100)  # equity moved, but within a second
    sim.tick("1.10040", "1.10050", advance_ms=100)
    assert len(sim.of("account")) == 1
    sim.tick("1.10060", "1.10070", advance_ms=1_000)
    assert len(sim.of("account")) == 2
    assert sim.of("account")[-1]["equity"] == sim.account()["equity"]


def test_ticks_and_closed_bars_only_for_subscribed_symbols(sim: Sim) -> None:
    sim.events.clear()
    sim.tick("1.10000", "1.10010")
    assert sim.of("ticks") == []
    assert sim.engine.handle("subscribe", {"symbols": ["EURUSD"]}) == {"symbols": ["EURUSD"]}
    sim.tick("1.10020", "1.10030")
    [ticks] = sim.of("ticks")
    assert ticks["ticks"] == [["EURUSD", sim.now, "1.10020", "1.10030", "0.00000", "0.00"]]
    sim.tick("1.10040", "1.10050", advance_ms=60_000)
    [bar] = sim.of("bar")
    assert (bar["symbol"], bar["timeframe"]) == ("EURUSD", "M1")
    assert bar["rate"][0] == T0 + 10 * 3_600_000
    assert bar["rate"][4] == "1.10020"  # the minute's close, on the bid


def test_a_duplicate_deal_fault_emits_the_deal_add_twice_with_one_ticket(sim: Sim) -> None:
    key = comment_key("O-1")
    sim.engine.faults.duplicate_next_deal = True
    sim.buy(comment=key)
    deal_adds = [d for d in sim.of("transaction") if d["type"].endswith("DEAL_ADD")]
    assert [d["deal"] for d in deal_adds] == [deal_adds[0]["deal"]] * 2
    assert sim.engine.deal_events_with_key(key) == [False, True]
    sim.buy(comment=comment_key("O-2"))
    assert sim.engine.deal_events_with_key(comment_key("O-2")) == [False]


def test_set_trade_allowed_emits_terminal_only_on_a_change(sim: Sim) -> None:
    sim.engine.set_trade_allowed(True)
    sim.engine.set_trade_allowed(False)
    sim.engine.set_trade_allowed(False)
    sim.engine.set_trade_allowed(True)
    assert [d["trade_allowed"] for d in sim.of("terminal")] == [False, True]


def test_an_hours_first_tick_closes_the_bar_of_every_timeframe_it_ends(sim: Sim) -> None:
    sim.engine.handle("subscribe", {"symbols": ["EURUSD"]})
    sim.now = T0 + 10 * 3_600_000 + 59 * 60_000  # 10:59
    sim.tick("1.10500", "1.10510", advance_ms=0)
    sim.events.clear()
    sim.now = T0 + 11 * 3_600_000  # 11:00: not a four-hour or a day boundary
    sim.tick("1.10600", "1.10610", advance_ms=0)
    bars = {d["timeframe"]: d["rate"] for d in sim.of("bar")}
    assert list(bars) == ["M1", "M5", "M15", "M30", "H1"]
    assert bars["M1"][0] == T0 + 10 * 3_600_000 + 59 * 60_000
    hour = bars["H1"]
    assert hour[0] == T0 + 10 * 3_600_000
    assert (hour[1], hour[2], hour[4]) == ("1.10000", "1.10500", "1.10500")
    assert hour[5] == 2  # the fixture's 10:00 tick and the 10:59 one
