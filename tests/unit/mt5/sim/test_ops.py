"""The query operations: their data exactly as the protocol's table, filters, and refusals."""

from __future__ import annotations

import pytest
from execution_engine.adapters.mt5.codes import ErrorCode, OpError
from execution_engine.adapters.mt5.keys import comment_key

from .conftest import T0, Sim

ACCOUNT_FIELDS = {
    "login", "broker", "currency", "leverage", "balance", "equity", "margin", "margin_free",
    "margin_level", "margin_so_call", "margin_so_so", "margin_mode", "trade_allowed", "company",
}  # fmt: skip
SYMBOL_FIELDS = {
    "name", "description", "currency_base", "currency_profit", "currency_margin", "digits",
    "point", "contract_size", "volume_min", "volume_max", "volume_step", "stops_level",
    "freeze_level", "filling_mode", "execution_mode", "trade_mode", "order_mode",
    "expiration_mode", "margin_initial", "swap_long", "swap_short",
}  # fmt: skip


def test_account_info_has_the_protocol_fields_as_strings(sim: Sim) -> None:
    account = sim.account()
    assert set(account) == ACCOUNT_FIELDS
    assert (account["balance"], account["margin_level"], account["leverage"]) == (
        "100000.00",
        "0.00",
        100,
    )


def test_symbols_lists_market_watch_or_the_names_asked(sim: Sim) -> None:
    every = sim.engine.handle("symbols", {})["symbols"]
    assert [s["name"] for s in every] == ["EURUSD", "USDJPY"]
    [eurusd] = sim.engine.handle("symbols", {"names": ["EURUSD"]})["symbols"]
    assert set(eurusd) == SYMBOL_FIELDS
    assert (eurusd["point"], eurusd["volume_step"], eurusd["contract_size"]) == (
        "0.00001",
        "0.01",
        "100000",
    )
    assert (eurusd["filling_mode"], eurusd["swap_long"]) == (3, "-0.50")
    with pytest.raises(OpError) as raised:
        sim.engine.handle("symbols", {"names": ["EURUSD", "BTCXYZ"]})
    assert raised.value.code == ErrorCode.UNKNOWN_SYMBOL
    assert "BTCXYZ" in raised.value.message


def test_subscribe_and_unsubscribe_answer_what_is_subscribed(sim: Sim) -> None:
    assert sim.engine.handle("subscribe", {"symbols": ["USDJPY", "EURUSD"]}) == {
        "symbols": ["EURUSD", "USDJPY"]
    }
    assert sim.engine.handle("unsubscribe", {"symbols": ["EURUSD"]}) == {"symbols": ["USDJPY"]}
    with pytest.raises(OpError):
        sim.engine.handle("subscribe", {"symbols": "EURUSD"})


def test_tick_is_the_last_quote_or_none() -> None:
    sim = Sim()
    assert sim.engine.handle("tick", {"symbol": "EURUSD"}) == {"tick": None}
    sim.tick("1.10000", "1.10010")
    assert sim.engine.handle("tick", {"symbol": "EURUSD"})["tick"][2:4] == ["1.10000", "1.10010"]


def test_rates_aggregate_the_ticks_into_bars_oldest_first(sim: Sim) -> None:
    start = T0 + 11 * 3_600_000
    for minute, bid in enumerate(["1.10100", "1.10300", "1.09900", "1.10200", "1.10500"]):
        sim.now = start + minute * 60_000
        sim.tick(bid, "1.20000", advance_ms=0)
    m5 = sim.engine.handle("rates", {"symbol": "EURUSD", "timeframe": "M5", "count": 1})
    assert m5["rates"] == [[start, "1.10100", "1.10500", "1.09900", "1.10500", 5, 9500, 0]]
    m1 = sim.engine.handle(
        "rates", {"symbol": "EURUSD", "timeframe": "M1", "count": 2, "to_ms": start + 60_000}
    )
    assert [row[0] for row in m1["rates"]] == [start, start + 60_000]
    with pytest.raises(OpError):
        sim.engine.handle("rates", {"symbol": "EURUSD", "timeframe": "W1", "count": 1})


def test_positions_and_orders_filter_by_symbol_magic_and_comment(sim: Sim) -> None:
    sim.buy(magic=1)
    sim.market("ORDER_TYPE_BUY", symbol="USDJPY", magic=2)
    sim.pending("ORDER_TYPE_BUY_LIMIT", "1.09000", comment=comment_key("A"), magic=1)
    sim.pending("ORDER_TYPE_BUY_LIMIT", "1.08000", comment="manual", magic=1)
    assert [p["symbol"] for p in sim.positions(symbol="USDJPY")] == ["USDJPY"]
    assert [p["magic"] for p in sim.positions(magic=1)] == [1]
    assert [o["comment"] for o in sim.orders(comment="gt1:")] == [comment_key("A")]
    assert len(sim.orders(magic=1)) == 2


def test_history_filters_by_time_comment_ticket_order_and_position(sim: Sim) -> None:
    first = sim.buy(comment=comment_key("A"))
    sim.now += 60_000
    second = sim.sell(comment=comment_key("B"))
    assert [o["ticket"] for o in sim.history_orders(ticket=second["order"])] == [second["order"]]
    assert [o["ticket"] for o in sim.history_orders(comment=comment_key("A"))] == [first["order"]]
    assert [o["ticket"] for o in sim.history_orders(from_ms=sim.now)] == [second["order"]]
    assert [d["ticket"] for d in sim.deals(order=first["order"])] == [first["deal"]]
    assert len(sim.deals(position=first["order"])) == 2  # opened and closed (netting)
    assert [d["ticket"] for d in sim.deals(to_ms=sim.now - 1)] == [first["deal"]]


def test_an_unknown_op_is_refused_and_executes_nothing(sim: Sim) -> None:
    with pytest.raises(OpError) as raised:
        sim.engine.handle("run_script", {"path": "C:/evil.ex5"})
    assert raised.value.code == ErrorCode.UNKNOWN_OP


def test_push_tick_refuses_an_unknown_symbol_and_a_crossed_quote(sim: Sim) -> None:
    with pytest.raises(OpError):
        sim.tick("1.00000", "1.00010", symbol="XXXYYY")
    with pytest.raises(OpError):
        sim.tick("1.10010", "1.10000")


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("positions", {"magic": "7"}),
        ("orders", {"comment": 5}),
        ("history_orders", {"from_ms": "yesterday"}),
        ("history_deals", {"position": 1.5}),
    ],
)
def test_a_filter_of_the_wrong_type_is_bad_args(sim: Sim, op: str, args: dict[str, object]) -> None:
    with pytest.raises(OpError) as raised:
        sim.engine.handle(op, args)
    assert raised.value.code == ErrorCode.BAD_ARGS


def test_contract_size_and_net_volume_give_the_units_held(sim: Sim) -> None:
    sim.buy("0.30")
    assert sim.engine.contract_size("EURUSD") * sim.engine.net_volume("EURUSD") == 30_000
    with pytest.raises(OpError):
        sim.engine.contract_size("NOPE")
