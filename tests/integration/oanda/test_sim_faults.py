"""The simulator's wire behaviour and faults over real sockets: 401 and revoked tokens,
429 rate limits, the transaction stream and heartbeats, dropped, stalled and malformed
streams, duplicated fills, a connection cut after an order, the /__sim__/ controls, TLS."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.simulator import OandaSimulator
from pydantic import SecretStr

TOKEN = "faults-token"


@pytest.fixture(scope="module")
def sim() -> Iterator[OandaSimulator]:
    config = SimConfig(
        token=SecretStr(TOKEN), replay=False, max_bars=50, heartbeat_interval=0.2, rate_limit=20
    )
    simulator = OandaSimulator(config)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def http(sim: OandaSimulator) -> Iterator[httpx.Client]:
    sim.faults.clear()
    base = f"http://127.0.0.1:{sim.port}/v3/accounts/{sim.account_id}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def poll(what: str, check: Callable[[], Any], deadline: float = 5.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def market(http: httpx.Client, client_id: str) -> httpx.Response:
    order = {
        "type": "MARKET",
        "instrument": "EUR_USD",
        "units": "1",
        "clientExtensions": {"id": client_id},
    }
    return http.post("/orders", json={"order": order})


def test_wrong_token_and_revoked_token_are_401(sim: OandaSimulator, http: httpx.Client) -> None:
    wrong = http.get("/summary", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"errorMessage": "Insufficient authorization to perform request."}
    assert http.get("/summary").status_code == 200
    sim.faults.revoked = True
    assert http.get("/summary").status_code == 401


def test_another_account_is_forbidden(sim: OandaSimulator, http: httpx.Client) -> None:
    answer = httpx.get(
        f"http://127.0.0.1:{sim.port}/v3/accounts/101-001-9999999-001/summary",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 403


def test_over_the_rate_limit_is_429_per_connection(sim: OandaSimulator, http: httpx.Client) -> None:
    statuses = [http.get("/summary").status_code for _ in range(40)]
    assert 429 in statuses
    assert statuses[0] == 200
    limited = next(i for i, s in enumerate(statuses) if s == 429)
    assert limited >= 1
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as other:
        fresh = other.get(f"http://127.0.0.1:{sim.port}/v3/accounts")
    assert fresh.status_code == 200  # a new connection has its own window


def test_429_on_demand_with_retry_after(sim: OandaSimulator, http: httpx.Client) -> None:
    sim.faults.too_many_requests = 2
    first, second, third = (http.get("/summary") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "1"


def test_transaction_stream_carries_fills_and_heartbeats(
    sim: OandaSimulator, http: httpx.Client
) -> None:
    sim.push_quote("EUR_USD", Decimal("1.10000"), Decimal("1.10010"))
    seen: list[dict[str, Any]] = []
    with http.stream("GET", "/transactions/stream") as stream:
        lines = stream.iter_lines()
        beat = json.loads(next(lines))
        assert beat["type"] == "HEARTBEAT"
        assert beat["lastTransactionID"] == sim.transactions()[-1]["id"]
        sim.faults.duplicate_next_fill = True
        assert market(http, "stream-1").status_code == 201
        for line in lines:
            message = json.loads(line)
            seen.append(message)
            if [m["type"] for m in seen].count("ORDER_FILL") == 2:
                break
    fills = [m for m in seen if m["type"] == "ORDER_FILL"]
    assert fills[0] == fills[1]
    assert fills[0]["clientOrderID"] == "stream-1"


def test_pricing_stream_heartbeats_and_a_malformed_line(
    sim: OandaSimulator, http: httpx.Client
) -> None:
    with http.stream(
        "GET", "/pricing/stream", params={"instruments": "EUR_USD", "snapshot": "false"}
    ) as stream:
        lines = stream.iter_lines()
        assert json.loads(next(lines))["type"] == "HEARTBEAT"
        sim.faults.malformed_lines = 1
        sim.push_quote("EUR_USD", Decimal("1.10100"), Decimal("1.10110"))
        line = next(lines)
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
        assert json.loads(next(lines))["bids"][0]["price"] == "1.10100"


def test_stalled_stream_sends_nothing(sim: OandaSimulator, http: httpx.Client) -> None:
    sim.faults.stalled = True
    timeout = httpx.Timeout(5.0, read=0.6)  # three heartbeat intervals
    with pytest.raises(httpx.ReadTimeout), http.stream("GET", "/pricing/stream", params={"instruments": "EUR_USD", "snapshot": "false"}, timeout=timeout) as stream:  # fmt: skip
        for _ in stream.iter_lines():
            pass


def _read_until_cut(http: httpx.Client, sim: OandaSimulator) -> None:
    with http.stream("GET", "/transactions/stream") as stream:
        for index, _ in enumerate(stream.iter_lines()):
            if index == 0:
                sim.faults.drop_streams()


def test_drop_streams_cuts_the_connection(sim: OandaSimulator, http: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _read_until_cut(http, sim)
    poll("the stream to close", lambda: sim.hub.open_streams == 0)


def test_drop_on_next_order_executes_it_unanswered(sim: OandaSimulator, http: httpx.Client) -> None:
    sim.faults.drop_on_next_order = True
    with pytest.raises(httpx.RemoteProtocolError):
        market(http, "dropped-1")
    assert len(sim.fills_sent("dropped-1")) == 1
    assert market(http, "after-drop").status_code == 201


def test_control_routes(sim: OandaSimulator) -> None:
    base = f"http://127.0.0.1:{sim.port}/__sim__"
    moved = httpx.post(
        f"{base}/quote", json={"instrument": "USD_JPY", "bid": "150.000", "ask": "150.020"}
    )
    assert moved.status_code == 200
    assert sim.market.quotes["USD_JPY"].bid == Decimal("150.000")
    bad = httpx.post(f"{base}/quote", json={"instrument": "NOPE", "bid": "1", "ask": "2"})
    assert bad.status_code == 400
    asked = httpx.post(
        f"{base}/faults", json={"reject_next": "MARKET_HALTED", "too_many_requests": 0}
    )
    assert asked.status_code == 200
    assert sim.faults.take_reject() == "MARKET_HALTED"
    unknown = httpx.post(f"{base}/faults", json={"reject_next": "NOT_A_REASON"})
    assert unknown.status_code == 400
    state = httpx.get(f"{base}/state").json()
    assert state["accountID"] == sim.account_id
    assert state["connections"] >= 1


def test_unknown_path_and_method(sim: OandaSimulator, http: httpx.Client) -> None:
    missing = http.get("/nothing-here")
    assert missing.status_code == 404
    assert "errorMessage" in missing.json()
    wrong = http.delete("/orders")
    assert wrong.status_code == 405
    assert "errorMessage" in wrong.json()


def test_tls_with_the_dev_ca(tmp_path: Path) -> None:
    config = SimConfig(token=SecretStr(TOKEN), replay=False, max_bars=20, tls_dir=tmp_path / "tls")
    with OandaSimulator(config) as secure:
        assert secure.ca_file is not None
        context = ssl.create_default_context(cafile=str(secure.ca_file))
        answer = httpx.get(
            f"https://127.0.0.1:{secure.port}/v3/accounts",
            headers={"Authorization": f"Bearer {TOKEN}"}, verify=context,
        )  # fmt: skip
        assert answer.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(
                f"https://127.0.0.1:{secure.port}/v3/accounts"
            )  # the system CAs do not trust it


def test_benchmark_mode_replays_stamped_lines_fast() -> None:
    config = SimConfig(token=SecretStr(TOKEN), max_bars=100, stream_rate=0)
    with OandaSimulator(config) as fast, httpx.stream(
        "GET", f"http://127.0.0.1:{fast.port}/v3/accounts/{fast.account_id}/pricing/stream",
        params={"instruments": "EUR_USD,GBP_USD"}, headers={"Authorization": f"Bearer {TOKEN}"},
    ) as stream:  # fmt: skip
        prices = []
        for line in stream.iter_lines():
            message = json.loads(line)
            if message["type"] == "PRICE":
                prices.append(message)
            if len(prices) == 2_000:
                break
    assert {p["instrument"] for p in prices} == {"EUR_USD", "GBP_USD"}
    assert len(prices[0]["time"]) == len("2026-12-01T20:03:58.123456789Z")
    assert prices[-1]["time"] >= prices[0]["time"]
