"""OANDA's order semantics on the simulator over real HTTP (httpx): FIFO netting and
hedging, margin closeout, every reject and cancel reason, GTD expiry, TP/SL on fill,
pending orders triggered by quotes, replace, client extensions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.simulator import OandaSimulator
from pydantic import SecretStr

TOKEN = "orders-token"
Body = dict[str, Any]


def _start(**settings: Any) -> OandaSimulator:
    config = SimConfig(
        token=SecretStr(TOKEN), replay=False, max_bars=50, rate_limit=100_000, **settings
    )
    simulator = OandaSimulator(config)
    simulator.start()
    simulator.push_quote("EUR_USD", Decimal("1.10000"), Decimal("1.10010"))
    return simulator


def _client(sim: OandaSimulator) -> httpx.Client:
    base = f"http://127.0.0.1:{sim.port}/v3/accounts/{sim.account_id}"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture(scope="module")
def netting() -> Iterator[tuple[OandaSimulator, httpx.Client]]:
    sim = _start()
    with _client(sim) as http:
        yield sim, http
    sim.stop()


@pytest.fixture(scope="module")
def hedging() -> Iterator[tuple[OandaSimulator, httpx.Client]]:
    sim = _start(hedging=True)
    with _client(sim) as http:
        yield sim, http
    sim.stop()


def order(http: httpx.Client, **fields: Any) -> httpx.Response:
    return http.post(
        "/orders", json={"order": {"type": "MARKET", "instrument": "EUR_USD", **fields}}
    )


def flat(sim: OandaSimulator, http: httpx.Client, instrument: str = "EUR_USD") -> None:
    http.put(f"/positions/{instrument}/close", json={"longUnits": "ALL"})
    http.put(f"/positions/{instrument}/close", json={"shortUnits": "ALL"})
    for pending in http.get("/pendingOrders").json()["orders"]:
        http.put(f"/orders/{pending['id']}/cancel")
    sim.push_quote("EUR_USD", Decimal("1.10000"), Decimal("1.10010"))
    assert sim.net_position(instrument) == 0


def poll(what: str, check: Callable[[], Any], deadline: float = 5.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_netting_reduces_the_oldest_trade_first(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    flat(sim, http)
    first = order(http, units="100").json()["orderFillTransaction"]["tradeOpened"]["tradeID"]
    second = order(http, units="50").json()["orderFillTransaction"]["tradeOpened"]["tradeID"]
    fill = order(http, units="-120").json()["orderFillTransaction"]
    assert [row["tradeID"] for row in fill["tradesClosed"]] == [first]
    assert fill["tradeReduced"] == fill["tradeReduced"] | {"tradeID": second, "units": "-20"}
    assert "tradeOpened" not in fill
    trades = http.get("/openTrades").json()["trades"]
    assert [(t["id"], t["currentUnits"]) for t in trades] == [(second, "30")]
    assert sim.net_position("EUR_USD") == Decimal(30)


def test_netting_flips_the_position_through_zero(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    flat(sim, http)
    order(http, units="10")
    fill = order(http, units="-25").json()["orderFillTransaction"]
    assert len(fill["tradesClosed"]) == 1
    assert fill["tradeOpened"]["units"] == "-15"
    position = http.get("/positions/EUR_USD").json()["position"]
    assert (position["long"]["units"], position["short"]["units"]) == ("0", "-15")


def test_closing_a_newer_trade_first_is_a_fifo_violation(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    flat(sim, http)
    order(http, units="10")
    newer = order(http, units="20").json()["orderFillTransaction"]["tradeOpened"]["tradeID"]
    answer = http.put(f"/trades/{newer}/close", json={"units": "ALL"})
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "FIFO_VIOLATION"
    assert answer.json()["orderRejectTransaction"]["type"] == "MARKET_ORDER_REJECT"
    assert sim.net_position("EUR_USD") == Decimal(30)


def test_hedging_keeps_both_directions(hedging: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = hedging
    flat(sim, http)
    order(http, units="100")
    fill = order(http, units="-40").json()["orderFillTransaction"]
    assert fill["tradeOpened"]["units"] == "-40"
    assert "tradesClosed" not in fill
    position = http.get("/positions/EUR_USD").json()["position"]
    assert (position["long"]["units"], position["short"]["units"]) == ("100", "-40")
    assert sim.net_position("EUR_USD") == Decimal(60)
    closed = http.put("/positions/EUR_USD/close", json={"shortUnits": "ALL"})
    assert closed.status_code == 200
    assert closed.json()["shortOrderFillTransaction"]["reason"] == "MARKET_ORDER_POSITION_CLOSEOUT"
    assert sim.net_position("EUR_USD") == Decimal(100)


def test_hedging_closes_any_trade_by_id(hedging: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = hedging
    flat(sim, http)
    order(http, units="10")
    newer = order(http, units="20", tradeClientExtensions={"id": "hedge-t"}).json()
    trade_id = newer["orderFillTransaction"]["tradeOpened"]["tradeID"]
    closed = http.put("/trades/@hedge-t/close", json={"units": "5"})
    assert closed.status_code == 200
    assert closed.json()["orderFillTransaction"]["tradeReduced"]["tradeID"] == trade_id
    assert http.get(f"/trades/{trade_id}").json()["trade"]["currentUnits"] == "15"


@pytest.mark.parametrize(
    ("fields", "kind", "reason"),
    [
        ({"units": "abc"}, "MARKET_ORDER_REJECT", "UNITS_INVALID"),
        ({"units": "0"}, "MARKET_ORDER_REJECT", "UNITS_INVALID"),
        ({"units": "1.5"}, "MARKET_ORDER_REJECT", "UNITS_PRECISION_EXCEEDED"),
        ({"units": "1000000000"}, "MARKET_ORDER_REJECT", "UNITS_LIMIT_EXCEEDED"),
        ({"units": "10", "instrument": "EUR_XYZ"}, "MARKET_ORDER_REJECT", "INSTRUMENT_UNKNOWN"),
        ({"units": "10", "timeInForce": "GTC"}, "MARKET_ORDER_REJECT", "TIME_IN_FORCE_INVALID"),
        ({"units": "10", "priceBound": "1.123456"}, "MARKET_ORDER_REJECT", "PRICE_BOUND_PRECISION_EXCEEDED"),
        ({"type": "LIMIT", "units": "10", "price": "1.123456"}, "LIMIT_ORDER_REJECT", "PRICE_PRECISION_EXCEEDED"),
        ({"type": "LIMIT", "units": "10"}, "LIMIT_ORDER_REJECT", "PRICE_MISSING"),
        ({"type": "STOP", "units": "10", "price": "1.2", "timeInForce": "GTD"}, "STOP_ORDER_REJECT", "TIME_IN_FORCE_GTD_TIMESTAMP_MISSING"),
        ({"type": "LIMIT", "units": "10", "price": "1.0", "takeProfitOnFill": {"price": "0.9"}}, "LIMIT_ORDER_REJECT", "TAKE_PROFIT_ON_FILL_LOSS"),
        ({"type": "LIMIT", "units": "10", "price": "1.0", "stopLossOnFill": {"price": "1.1"}}, "LIMIT_ORDER_REJECT", "STOP_LOSS_ON_FILL_LOSS"),
        ({"type": "MARKET_IF_TOUCHED", "units": "-10", "price": "1.0", "takeProfitOnFill": {"price": "1.1"}}, "MARKET_IF_TOUCHED_ORDER_REJECT", "TAKE_PROFIT_ON_FILL_LOSS"),
    ],
)  # fmt: skip
def test_request_checks_reject_with_400(
    netting: tuple[OandaSimulator, httpx.Client], fields: Body, kind: str, reason: str
) -> None:
    sim, http = netting
    answer = order(http, **fields)
    assert answer.status_code == 400
    body = answer.json()
    assert body["errorCode"] == reason
    assert body["orderRejectTransaction"]["type"] == kind
    assert body["orderRejectTransaction"]["rejectReason"] == reason
    assert body["lastTransactionID"] == body["orderRejectTransaction"]["id"]
    assert sim.transactions()[-1]["rejectReason"] == reason


def test_a_second_pending_order_with_the_same_client_id_is_rejected(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    flat(sim, http)
    limit = {
        "type": "LIMIT",
        "units": "10",
        "price": "1.00000",
        "clientExtensions": {"id": "dup-1"},
    }
    assert order(http, **limit).status_code == 201
    again = order(http, **limit)
    assert again.status_code == 400
    assert again.json()["errorCode"] == "CLIENT_ORDER_ID_ALREADY_EXISTS"
    assert len(sim.orders_received("dup-1")) == 2
    assert http.get("/orders/@dup-1").json()["order"]["state"] == "PENDING"


def test_reject_next_order_on_demand(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = netting
    sim.faults.reject_next_order("INSUFFICIENT_MARGIN")
    answer = order(http, units="1")
    assert answer.status_code == 400
    assert answer.json()["orderRejectTransaction"]["rejectReason"] == "INSUFFICIENT_MARGIN"
    assert order(http, units="1").status_code == 201


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"units": "90000000"}, "INSUFFICIENT_MARGIN"),
        ({"units": "10", "priceBound": "1.10005"}, "BOUNDS_VIOLATION"),
        ({"units": "-10", "priceBound": "1.10005"}, "BOUNDS_VIOLATION"),
        ({"units": "10", "takeProfitOnFill": {"price": "1.09000"}}, "TAKE_PROFIT_ON_FILL_LOSS"),
        ({"units": "10", "stopLossOnFill": {"price": "1.20000"}}, "STOP_LOSS_ON_FILL_LOSS"),
    ],
)
def test_unfillable_market_orders_are_created_then_cancelled(
    netting: tuple[OandaSimulator, httpx.Client], fields: Body, reason: str
) -> None:
    sim, http = netting
    flat(sim, http)
    answer = order(http, **fields)
    assert answer.status_code == 201
    body = answer.json()
    assert body["orderCreateTransaction"]["type"] == "MARKET_ORDER"
    assert body["orderCancelTransaction"]["reason"] == reason
    assert "orderFillTransaction" not in body
    assert sim.net_position("EUR_USD") == 0


def test_a_halted_market_cancels_market_orders(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    sim.halt("EUR_USD")
    try:
        body = order(http, units="10").json()
        assert body["orderCancelTransaction"]["reason"] == "MARKET_HALTED"
        price = http.get("/pricing", params={"instruments": "EUR_USD"}).json()["prices"][0]
        assert price["tradeable"] is False
    finally:
        sim.halt("EUR_USD", halted=False)


def test_limit_order_fills_when_the_quote_reaches_it(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    flat(sim, http)
    created = order(
        http, type="LIMIT", units="10", price="1.09000", clientExtensions={"id": "lim-1"}
    )
    assert created.status_code == 201
    assert "orderFillTransaction" not in created.json()
    sim.push_quote("EUR_USD", Decimal("1.08980"), Decimal("1.08990"))
    fills = poll("the limit fill", lambda: sim.fills_sent("lim-1"))
    assert fills[0]["reason"] == "LIMIT_ORDER"
    assert fills[0]["price"] == "1.08990"
    assert http.get("/orders/@lim-1").json()["order"]["state"] == "FILLED"


def test_stop_order_triggers_on_the_way_up(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = netting
    flat(sim, http)
    order(http, type="STOP", units="10", price="1.11000", clientExtensions={"id": "stop-1"})
    sim.push_quote("EUR_USD", Decimal("1.10500"), Decimal("1.10510"))
    assert sim.fills_sent("stop-1") == []
    sim.push_quote("EUR_USD", Decimal("1.11000"), Decimal("1.11010"))
    assert sim.fills_sent("stop-1")[0]["reason"] == "STOP_ORDER"


def test_take_profit_on_fill_closes_the_trade_and_cancels_the_stop(
    netting: tuple[OandaSimulator, httpx.Client],
) -> None:
    sim, http = netting
    flat(sim, http)
    body = order(
        http,
        units="100",
        takeProfitOnFill={"price": "1.10500"},
        stopLossOnFill={"price": "1.09500"},
    ).json()
    trade_id = body["orderFillTransaction"]["tradeOpened"]["tradeID"]
    kinds = [t["type"] for t in sim.transactions()[-2:]]
    assert kinds == ["TAKE_PROFIT_ORDER", "STOP_LOSS_ORDER"]
    trade = http.get(f"/trades/{trade_id}").json()["trade"]
    assert trade["takeProfitOrder"]["price"] == "1.10500"
    sim.push_quote("EUR_USD", Decimal("1.10500"), Decimal("1.10510"))
    closed = http.get(f"/trades/{trade_id}").json()["trade"]
    assert closed["state"] == "CLOSED"
    last = sim.transactions()[-2:]
    assert last[0]["type"] == "ORDER_FILL"
    assert last[0]["reason"] == "TAKE_PROFIT_ORDER"
    assert Decimal(last[0]["pl"]) > 0
    assert (last[1]["type"], last[1]["reason"]) == ("ORDER_CANCEL", "LINKED_TRADE_CLOSED")


def test_trailing_stop_follows_the_market(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = netting
    flat(sim, http)
    order(http, units="10", trailingStopLossOnFill={"distance": "0.00100"})
    sim.push_quote("EUR_USD", Decimal("1.10300"), Decimal("1.10310"))
    trade = http.get("/openTrades").json()["trades"][0]
    assert trade["trailingStopLossOrder"]["trailingStopValue"] == "1.10200"
    sim.push_quote("EUR_USD", Decimal("1.10200"), Decimal("1.10210"))
    assert sim.transactions()[-1]["type"] in ("ORDER_FILL", "ORDER_CANCEL")
    assert sim.net_position("EUR_USD") == 0


def test_gtd_order_expires(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = netting
    flat(sim, http)
    gtd = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1)) + ".000000000Z"
    created = order(http, type="LIMIT", units="10", price="1.00000", timeInForce="GTD", gtdTime=gtd)
    order_id = created.json()["orderCreateTransaction"]["id"]
    state = poll(
        "the GTD expiry",
        lambda: http.get(f"/orders/{order_id}").json()["order"]["state"] == "CANCELLED",
    )
    assert state
    cancel = [t for t in sim.transactions() if t.get("orderID") == order_id][-1]
    assert cancel["reason"] == "TIME_IN_FORCE_EXPIRED"


def test_gtd_in_the_past_is_rejected(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    _, http = netting
    answer = order(
        http,
        type="LIMIT",
        units="10",
        price="1.0",
        timeInForce="GTD",
        gtdTime="2020-01-01T00:00:00Z",
    )
    assert answer.json()["errorCode"] == "TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST"


def test_replace_and_client_extensions(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = netting
    flat(sim, http)
    order(http, type="LIMIT", units="10", price="1.00000", clientExtensions={"id": "rep-1"})
    replaced = http.put("/orders/@rep-1", json={"order": {"type": "LIMIT", "instrument": "EUR_USD",
        "units": "20", "price": "1.01000", "clientExtensions": {"id": "rep-1"}}})  # fmt: skip
    assert replaced.status_code == 201
    body = replaced.json()
    assert body["orderCancelTransaction"]["reason"] == "CLIENT_REQUEST_REPLACED"
    assert (
        body["orderCreateTransaction"]["replacesOrderID"]
        == body["orderCancelTransaction"]["orderID"]
    )
    modified = http.put("/orders/@rep-1/clientExtensions", json={"clientExtensions": {"tag": "t2"}})
    assert modified.status_code == 200
    now = http.get("/orders/@rep-1").json()["order"]
    assert (now["units"], now["clientExtensions"]) == ("20", {"id": "rep-1", "tag": "t2"})
    missing = http.put("/orders/99999/cancel")
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "ORDER_DOESNT_EXIST"


def test_account_changes_since_a_transaction(netting: tuple[OandaSimulator, httpx.Client]) -> None:
    sim, http = netting
    flat(sim, http)
    since = http.get("/summary").json()["lastTransactionID"]
    order(http, units="5")
    body = http.get("/changes", params={"sinceTransactionID": since}).json()
    assert [t["type"] for t in body["changes"]["transactions"]] == ["MARKET_ORDER", "ORDER_FILL"]
    assert body["changes"]["tradesOpened"][0]["currentUnits"] == "5"
    assert body["state"]["positions"][0]["instrument"] == "EUR_USD"


def test_margin_closeout_closes_every_trade() -> None:
    sim = _start(balance=Decimal(1000))
    try:
        with _client(sim) as http:
            fill = order(http, units="25000").json()["orderFillTransaction"]
            assert fill["tradeOpened"]["units"] == "25000"
            sim.push_quote("EUR_USD", Decimal("1.07500"), Decimal("1.07510"))
            closeout = [t for t in sim.transactions() if t.get("reason") == "MARGIN_CLOSEOUT"]
            assert closeout
            assert closeout[0]["type"] == "MARKET_ORDER"
            fills = [
                t for t in sim.transactions() if t.get("reason") == "MARKET_ORDER_MARGIN_CLOSEOUT"
            ]
            assert fills[0]["tradesClosed"][0]["tradeID"] == fill["id"]
            assert sim.net_position("EUR_USD") == 0
            assert Decimal(http.get("/summary").json()["account"]["balance"]) < 1000
    finally:
        sim.stop()
