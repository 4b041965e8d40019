"""`OandaSimulator`: the whole simulator in-process, on its own thread and event loop.

sim = OandaSimulator(SimConfig(token=SecretStr("t")))
sim.start()
... V20Client(endpoint_for("127.0.0.1", sim.port, tls=False), token) ...
sim.push_quote("EUR_USD", Decimal("1.10000"), Decimal("1.10014"))
sim.stop()
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from execution_engine.adapters.oanda.sim import control
from execution_engine.adapters.oanda.sim.broker import Broker
from execution_engine.adapters.oanda.sim.config import INSTRUMENTS, SAMPLE_BARS, SimConfig
from execution_engine.adapters.oanda.sim.faults import Faults
from execution_engine.adapters.oanda.sim.market import Market, read_bars
from execution_engine.adapters.oanda.sim.server import build_app
from execution_engine.adapters.oanda.sim.streams import StreamHub
from execution_engine.adapters.oanda.sim.transactions import Transaction
from execution_engine.adapters.oanda.sim.wire import encode

_SWEEP = 0.05  # seconds between GTD expiry sweeps


class SimulatorError(RuntimeError):
    """The simulator could not start (port taken, bad TLS folder, no bars)."""


class OandaSimulator:
    """The v20 simulator: one account, the replayed market, the REST routes and the streams."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        bars = read_bars(self.config.data or SAMPLE_BARS, self.config.max_bars)
        self.market = Market(INSTRUMENTS, bars)
        self.faults = Faults()
        self.broker = Broker(self.config, self.market, self.faults)
        self.hub = StreamHub()
        self.broker.log.listeners.append(self._on_transaction)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.port = 0

    # -- life cycle ------------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        return self.config.account_id

    @property
    def tls(self) -> bool:
        return self.config.tls_dir is not None

    @property
    def ca_file(self) -> Path | None:
        return None if self.config.tls_dir is None else self.config.tls_dir / "ca.pem"

    def start(self, timeout: float = 15.0) -> None:
        self._thread = threading.Thread(target=self._run, name="oanda-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise SimulatorError("the OANDA simulator did not start in time")
        if self._error is not None:
            raise SimulatorError(f"the OANDA simulator could not start: {self._error}")

    def stop(self, timeout: float = 10.0) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> OandaSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start(); the thread must not die silently
            self._error = error
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        app = build_app(self.broker, self.hub)
        app[control.PUSH] = self.push_quote
        app[control.FAULTS] = self.faults
        app[control.STATE] = self.state
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self.config.host, self.config.port, ssl_context=self._ssl())
        await site.start()
        self.port = runner.addresses[0][1]  # the bound port (port 0: the one the OS chose)
        tasks = [asyncio.create_task(self._sweep())]
        if self.config.replay and self.config.stream_rate is None:
            tasks.append(asyncio.create_task(self._replay()))
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            await self._close_streams()
            await runner.cleanup()

    async def _close_streams(self, patience: float = 2.0) -> None:
        """Cut the open streams and let their handlers return before the loop closes."""
        self.faults.drop_streams()
        deadline = asyncio.get_running_loop().time() + patience
        while self.hub.open_streams and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    def _ssl(self) -> ssl.SSLContext | None:
        folder = self.config.tls_dir
        if folder is None:
            return None
        if not (folder / "server.pem").is_file():
            from execution_engine.adapters.fix.devca import generate_dev_ca

            generate_dev_ca(folder, name="Gauntlet OANDA simulator CA")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "server.pem", folder / "server.key")
        return context

    async def _replay(self) -> None:
        while True:
            await asyncio.sleep(self.config.interval)
            with self.broker.lock:
                moved = self.market.advance()
                self.broker.on_quotes(moved)
                lines = [(name, self.market.line(name)) for name in moved]
            for name, line in lines:
                self.hub.publish_price(name, line)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP)
            with self.broker.lock:
                self.broker.expire()

    def _on_transaction(self, transaction: Transaction) -> None:
        line = encode(transaction) + b"\n"
        self.hub.publish_transaction(line)
        if transaction["type"] == "ORDER_FILL" and self.faults.take_duplicate_fill():
            self.hub.publish_transaction(line)

    # -- the test API ------------------------------------------------------------------------

    def push_quote(self, instrument: str, bid: Decimal, ask: Decimal) -> None:
        """Set an instrument's quote now: pending orders trigger, streams see it."""
        if instrument not in self.market.specs:
            raise ValueError(f"unknown instrument {instrument!r}")
        if not 0 < bid <= ask:
            raise ValueError(f"bid {bid} and ask {ask} are not a quote (0 < bid <= ask)")
        with self.broker.lock:
            self.market.set_quote(instrument, bid, ask)
            self.broker.on_quotes([instrument])
            line = self.market.line(instrument)
        self.hub.publish_price(instrument, line)

    def halt(self, instrument: str, halted: bool = True) -> None:
        """Stop (or resume) trading an instrument: market orders cancel with MARKET_HALTED."""
        with self.broker.lock:
            if halted:
                self.market.halted.add(instrument)
            else:
                self.market.halted.discard(instrument)

    def orders_received(self, client_id: str) -> list[dict[str, Any]]:
        with self.broker.lock:
            return list(self.broker.orders_received(client_id))

    def fills_sent(self, client_id: str) -> list[Transaction]:
        with self.broker.lock:
            return self.broker.fills_sent(client_id)

    def net_position(self, instrument: str) -> Decimal:
        with self.broker.lock:
            return self.broker.book.net_units(instrument)

    def transactions(self) -> list[Transaction]:
        with self.broker.lock:
            return list(self.broker.log.since(0))

    def connections(self) -> int:
        """Open TCP connections to the simulator (REST keep-alive and streams)."""
        runner = self._runner
        server = None if runner is None else runner.server
        return 0 if server is None else len(server.connections)

    def state(self) -> dict[str, Any]:
        return {
            "connections": self.connections(), "streams": self.hub.open_streams,
            "lastTransactionID": self.broker.log.last_id, "accountID": self.account_id,
        }  # fmt: skip
