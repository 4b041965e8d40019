"""The whole simulated terminal (engine + the EA's link) against the real bridge server on
loopback: MT5 over TLS, MT4 over HTTPS polling, a dropped answer resolved by lookup and never
sent twice, and quotes replayed from a bars file."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from execution_engine.adapters.fix.devca import DevCa, generate_dev_ca
from execution_engine.adapters.mt5.auth import new_token
from execution_engine.adapters.mt5.bridge import (
    BridgeConfig,
    BridgeDisconnectedError,
    BridgeServer,
)
from execution_engine.adapters.mt5.codes import Retcode
from execution_engine.adapters.mt5.keys import comment_key
from execution_engine.adapters.mt5.sim.terminal import SimTerminalConfig, TerminalSimulator
from pydantic import SecretStr, ValidationError

TERMINAL = "SIM1"
TOKEN = new_token(TERMINAL, datetime.now(UTC) + timedelta(days=1))
WAIT = 10.0
MAGIC = 4242


def aio(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    return generate_dev_ca(tmp_path_factory.mktemp("mt5-sim-ca"))


class Heard:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def on_event(self, event: str, data: dict[str, Any], seq: int) -> None:
        self.events.append((event, data))

    def of(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]


@asynccontextmanager
async def bridge_for(ca: DevCa, *, http: bool = False) -> AsyncIterator[tuple[BridgeServer, Heard]]:
    heard = Heard()
    config = BridgeConfig(
        port=0,
        terminal=TERMINAL,
        tls_cert=ca.server_cert,
        tls_key=ca.server_key,
        http_port=0 if http else None,
    )
    bridge = BridgeServer(config, SecretStr(TOKEN), heard.on_event)
    await bridge.start()
    try:
        yield bridge, heard
    finally:
        await bridge.stop()


@contextmanager
def simulator(port: int, ca: DevCa, **options: Any) -> Iterator[TerminalSimulator]:
    config = SimTerminalConfig(
        host="localhost",
        port=port,
        token=SecretStr(TOKEN),
        terminal=TERMINAL,
        ca_file=ca.ca_file,
        backoff=(0.05,),
        **options,
    )
    with TerminalSimulator(config) as sim:
        yield sim


async def until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.01)


def buy(key: str, price: str = "1.10010") -> dict[str, Any]:
    return {
        "request": {
            "action": "TRADE_ACTION_DEAL",
            "symbol": "EURUSD",
            "type": "ORDER_TYPE_BUY",
            "volume": "0.10",
            "price": price,
            "deviation": 10,
            "type_filling": "ORDER_FILLING_FOK",
            "magic": MAGIC,
            "comment": key,
        }
    }


@aio
async def test_mt5_terminal_trades_through_the_bridge(dev_ca: DevCa) -> None:
    async with bridge_for(dev_ca) as (bridge, heard):
        with simulator(bridge.port, dev_ca) as sim:
            info = await bridge.wait_connected(WAIT)
            assert (info.platform, info.login) == ("mt5", sim.config.engine.login)
            account = await bridge.request("account_info", {}, WAIT)
            assert account["balance"] == "100000.00"
            assert account["margin_mode"] == "ACCOUNT_MARGIN_MODE_RETAIL_NETTING"
            await bridge.request("subscribe", {"symbols": ["EURUSD"]}, WAIT)
            sim.push_tick("EURUSD", Decimal("1.10000"), Decimal("1.10010"))
            await until(lambda: bool(heard.of("ticks")))
            assert heard.of("ticks")[0]["ticks"][0][2:4] == ["1.10000", "1.10010"]

            key = comment_key("O-1")
            result = await bridge.request("order_send", buy(key), WAIT)
            assert (result["retcode"], result["price"]) == (Retcode.DONE, "1.10010")
            await until(lambda: any("deal_record" in d for d in heard.of("transaction")))
            [deal_add] = [d for d in heard.of("transaction") if "deal_record" in d]
            assert deal_add["deal_record"]["comment"] == key
            assert deal_add["deal"] == result["deal"]
            positions = (await bridge.request("positions", {"magic": MAGIC}, WAIT))["positions"]
            assert [p["volume"] for p in positions] == ["0.10"]
            assert sim.engine.net_volume("EURUSD") == Decimal("0.10")


@aio
async def test_an_answer_lost_with_the_connection_is_found_by_key_and_never_sent_twice(
    dev_ca: DevCa,
) -> None:
    async with bridge_for(dev_ca) as (bridge, _):
        with simulator(bridge.port, dev_ca) as sim:
            await bridge.wait_connected(WAIT)
            await until(lambda: sim.link.connected)
            sim.push_tick("EURUSD", Decimal("1.10000"), Decimal("1.10010"))
            key = comment_key("O-2")
            sim.link.faults.drop_after_next = "order_send"
            with pytest.raises(BridgeDisconnectedError):
                await bridge.request("order_send", buy(key), WAIT)
            await until(lambda: sim.link.connects >= 2 and bridge.connected)
            found = await bridge.request("history_orders", {"comment": key}, WAIT)
            assert [o["state"] for o in found["orders"]] == ["ORDER_STATE_FILLED"]
            again = await bridge.request("order_send", buy(key), WAIT)
            assert (again["retcode"], again["duplicate"]) == (Retcode.DONE, True)
            assert again["order"] == found["orders"][0]["ticket"]
            assert sim.engine.requests_with_key(key) == 1
            assert sim.engine.net_volume("EURUSD") == Decimal("0.10")


@aio
async def test_mt4_terminal_polls_the_bridge_on_a_hedging_account(dev_ca: DevCa) -> None:
    async with bridge_for(dev_ca, http=True) as (bridge, heard):
        assert bridge.http_port is not None
        with simulator(bridge.http_port, dev_ca, platform="mt4", poll_interval=0.02) as sim:
            info = await bridge.wait_connected(WAIT)
            assert info.platform == "mt4"
            account = await bridge.request("account_info", {}, WAIT)
            assert account["margin_mode"] == "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING"
            sim.push_tick("EURUSD", Decimal("1.10000"), Decimal("1.10010"))
            first = await bridge.request("order_send", buy(comment_key("A")), WAIT)
            second = await bridge.request("order_send", buy(comment_key("B")), WAIT)
            assert first["retcode"] == second["retcode"] == Retcode.DONE
            positions = (await bridge.request("positions", {}, WAIT))["positions"]
            assert len(positions) == 2  # hedging: a position per deal
            stop_limit = {
                "request": {
                    "action": "TRADE_ACTION_PENDING",
                    "symbol": "EURUSD",
                    "type": "ORDER_TYPE_BUY_STOP_LIMIT",
                    "volume": "0.10",
                    "price": "1.10100",
                    "stoplimit": "1.10050",
                }
            }
            refused = await bridge.request("order_send", stop_limit, WAIT)
            assert refused["retcode"] == Retcode.INVALID
            await until(
                lambda: len([d for d in heard.of("transaction") if "deal_record" in d]) == 2
            )


@aio
async def test_quotes_replayed_from_a_bars_file_reach_the_bridge(
    dev_ca: DevCa, tmp_path: Path
) -> None:
    bars = tmp_path / "EURUSD_M1.csv"
    bars.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-02 00:00:00,1.10000,1.10050,1.09950,1.10020,10\n"
        "2024-01-02 00:01:00,1.10020,1.10060,1.10010,1.10040,12\n"
    )
    async with bridge_for(dev_ca) as (bridge, heard):
        # The replay starts with the link; the first quotes may pass before the subscription.
        with simulator(bridge.port, dev_ca, bars=bars, interval=0.05, spread_points=5) as sim:
            await bridge.wait_connected(WAIT)
            await bridge.request("subscribe", {"symbols": ["EURUSD"]}, WAIT)
            assert sim.replay is not None
            await until(sim.replay.finished.is_set)
            assert sim.replay.pushed == 8
            tick = (await bridge.request("tick", {"symbol": "EURUSD"}, WAIT))["tick"]
            assert tick[2:4] == ["1.10040", "1.10045"]
            await until(lambda: bool(heard.of("ticks")))
            bids = [row[2] for data in heard.of("ticks") for row in data["ticks"]]
            assert bids[-1] == "1.10040"


def test_the_config_refuses_an_engine_of_another_platform() -> None:
    with pytest.raises(ValidationError, match="mt4"):
        SimTerminalConfig(
            port=1, token=SecretStr(TOKEN), terminal=TERMINAL, platform="mt4",
            engine={"platform": "mt5"},
        )  # fmt: skip


@aio
async def test_quotes_replayed_while_orders_arrive_never_deadlock(
    dev_ca: DevCa, tmp_path: Path
) -> None:
    rows = [
        f"2024-01-02 {minute // 60:02d}:{minute % 60:02d}:00,1.10000,1.10050,1.09950,1.10020,10"
        for minute in range(300)
    ]
    bars = tmp_path / "EURUSD_M1.csv"
    bars.write_text("Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n")
    async with bridge_for(dev_ca) as (bridge, heard):
        with simulator(bridge.port, dev_ca, bars=bars, interval=0.0005) as sim:
            await bridge.wait_connected(WAIT)
            await bridge.request("subscribe", {"symbols": ["EURUSD"]}, WAIT)
            await until(lambda: sim.engine.handle("tick", {"symbol": "EURUSD"})["tick"] is not None)
            results = []
            for n in range(20):
                request = buy(comment_key(f"C-{n}"))
                del request["request"]["price"]  # the EA prices it at the moving quote
                results.append(await bridge.request("order_send", request, WAIT))
            assert [r["retcode"] for r in results] == [Retcode.DONE] * 20
            assert sim.replay is not None
            await until(sim.replay.finished.is_set, timeout=60)
            assert sim.replay.pushed == 1200
            assert sim.engine.net_volume("EURUSD") == Decimal("2.00")
            assert heard.of("ticks")
