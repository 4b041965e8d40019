"""The OANDA simulator over real HTTP (httpx, not the adapter's client): the account, its
instruments, market orders and the transaction log, the pricing snapshot and stream."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.simulator import OandaSimulator
from pydantic import SecretStr

TOKEN = "basics-token"


@pytest.fixture(scope="module")
def sim() -> Iterator[OandaSimulator]:
    simulator = OandaSimulator(SimConfig(token=SecretStr(TOKEN), interval=0.05, max_bars=500))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def http(sim: OandaSimulator) -> Iterator[httpx.Client]:
    base = f"http://127.0.0.1:{sim.port}/v3/accounts/{sim.account_id}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def test_the_one_account_is_listed(sim: OandaSimulator) -> None:
    answer = httpx.get(
        f"http://127.0.0.1:{sim.port}/v3/accounts", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 200
    assert answer.json() == {"accounts": [{"id": sim.account_id, "tags": []}]}


def test_summary_has_the_opening_balance_and_transactions(http: httpx.Client) -> None:
    body = http.get("/summary").json()
    assert body["account"]["balance"] == "100000.0000"
    assert body["account"]["currency"] == "USD"
    assert body["account"]["hedgingEnabled"] is False
    assert int(body["lastTransactionID"]) >= 2  # CREATE and TRANSFER_FUNDS
    first = http.get("/transactions/1").json()["transaction"]
    assert first["type"] == "CREATE"


def test_instruments_list_several_majors_with_their_precision(http: httpx.Client) -> None:
    listed = {i["name"]: i for i in http.get("/instruments").json()["instruments"]}
    assert {"EUR_USD", "GBP_USD", "USD_JPY", "XAU_USD"} <= set(listed)
    assert listed["EUR_USD"]["displayPrecision"] == 5
    assert listed["USD_JPY"]["pipLocation"] == -2
    only = http.get("/instruments", params={"instruments": "USD_JPY"}).json()["instruments"]
    assert [i["name"] for i in only] == ["USD_JPY"]


def test_a_market_order_fills_and_is_in_the_log(sim: OandaSimulator, http: httpx.Client) -> None:
    before = http.get("/summary").json()["lastTransactionID"]
    order = {
        "type": "MARKET",
        "instrument": "GBP_USD",
        "units": "250",
        "clientExtensions": {"id": "basic-1"},
    }
    answer = http.post("/orders", json={"order": order})
    assert answer.status_code == 201
    body = answer.json()
    fill = body["orderFillTransaction"]
    assert fill["clientOrderID"] == "basic-1"
    assert fill["tradeOpened"]["units"] == "250"
    assert Decimal(fill["price"]) > 0
    assert body["lastTransactionID"] == fill["id"]
    since = http.get("/transactions/sinceid", params={"id": before}).json()["transactions"]
    assert [t["type"] for t in since] == ["MARKET_ORDER", "ORDER_FILL"]
    assert sim.fills_sent("basic-1")[0]["id"] == fill["id"]
    assert sim.net_position("GBP_USD") == Decimal(250)


def test_pricing_snapshot_and_unknown_instrument(http: httpx.Client) -> None:
    prices = http.get("/pricing", params={"instruments": "EUR_USD,USD_JPY"}).json()["prices"]
    assert [p["instrument"] for p in prices] == ["EUR_USD", "USD_JPY"]
    assert Decimal(prices[0]["bids"][0]["price"]) < Decimal(prices[0]["asks"][0]["price"])
    bad = http.get("/pricing", params={"instruments": "EUR_XYZ"})
    assert bad.status_code == 400
    assert bad.json() == {"errorMessage": "Invalid value specified for 'instruments'"}


def test_pricing_stream_sends_pushed_quotes(sim: OandaSimulator, http: httpx.Client) -> None:
    seen: list[dict[str, object]] = []
    with http.stream("GET", "/pricing/stream", params={"instruments": "XAU_USD"}) as stream:
        lines = stream.iter_lines()
        seen.append(json.loads(next(lines)))  # the snapshot
        sim.push_quote("XAU_USD", Decimal("1999.500"), Decimal("1999.850"))
        for line in lines:
            message = json.loads(line)
            if message["type"] == "PRICE" and message["bids"][0]["price"] == "1999.500":
                seen.append(message)
                break
    assert seen[0]["instrument"] == "XAU_USD"
    assert seen[-1]["asks"] == [{"price": "1999.850", "liquidity": 10_000_000}]


def test_candles_count_from_and_the_forming_candle(sim: OandaSimulator) -> None:
    url = f"http://127.0.0.1:{sim.port}/v3/instruments/EUR_USD/candles"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    last = httpx.get(
        url, params={"granularity": "H1", "count": "3", "price": "BA"}, headers=auth
    ).json()
    assert last["granularity"] == "H1"
    assert [c["complete"] for c in last["candles"]] == [True, True, False]
    assert "mid" not in last["candles"][0]
    assert Decimal(last["candles"][0]["bid"]["c"]) < Decimal(last["candles"][0]["ask"]["c"])
    start = "2020-01-01T05:00:00Z"
    first = httpx.get(
        url, params={"granularity": "H4", "count": "2", "from": start}, headers=auth
    ).json()
    assert [c["time"] for c in first["candles"]] == [
        "2020-01-01T08:00:00.000000000Z",
        "2020-01-01T12:00:00.000000000Z",
    ]
    account_url = (
        f"http://127.0.0.1:{sim.port}/v3/accounts/{sim.account_id}/instruments/USD_JPY/candles"
    )
    yen = httpx.get(account_url, params={"granularity": "D", "count": "1"}, headers=auth).json()
    assert Decimal(yen["candles"][0]["mid"]["c"]) > 50
    bad = httpx.get(url, params={"granularity": "H7"}, headers=auth)
    assert (bad.status_code, bad.json()) == (
        400,
        {"errorMessage": "Invalid value specified for 'granularity'"},
    )


def test_unix_datetime_format_on_request(http: httpx.Client) -> None:
    rfc = http.get("/transactions/1").json()["transaction"]["time"]
    unix = http.get("/transactions/1", headers={"Accept-Datetime-Format": "UNIX"}).json()
    seconds, fraction = unix["transaction"]["time"].split(".")
    assert rfc.startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(seconds))))
    assert rfc.endswith(f".{fraction}Z")
