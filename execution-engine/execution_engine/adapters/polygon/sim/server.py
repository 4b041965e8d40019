"""PolygonSimulator: REST and the three WebSocket clusters on one aiohttp port, in a thread.

    simulator = PolygonSimulator(PolygonSimConfig(api_key="K", series=sources.sample()))
    simulator.start()            # binds; simulator.port is the port (0 asks for a free one)
    simulator.faults.rate_limit(3)
    simulator.stop()

The control surface under /__sim__/ (no key needed, it is the operator's): POST
/__sim__/faults with a FaultRequest body, GET /__sim__/stats.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import msgspec
from aiohttp import web

from execution_engine.adapters.polygon.sim import feeds, rest_api
from execution_engine.adapters.polygon.sim.faults import FaultRequest, Faults
from execution_engine.adapters.polygon.sim.rest_api import STATE
from execution_engine.adapters.polygon.sim.series import Series
from execution_engine.adapters.polygon.sim.state import SimState, SimStats


class SimulatorError(RuntimeError):
    """The simulator could not start (the port is taken, no data...)."""


@dataclass(frozen=True)
class PolygonSimConfig:
    """What the simulator serves and where; rate is WebSocket frames per second."""

    api_key: str
    series: tuple[Series, ...] | list[Series]
    host: str = "127.0.0.1"
    port: int = 0
    rate: float = 10.0


def build_app(state: SimState) -> web.Application:
    app = web.Application(middlewares=[rest_api.polygon_errors])
    app[STATE] = state
    app.add_routes(rest_api.routes())
    app.add_routes(feeds.routes())
    app.add_routes([web.post("/__sim__/faults", _faults), web.get("/__sim__/stats", _stats)])
    return app


async def _faults(request: web.Request) -> web.Response:
    try:
        fault = msgspec.json.decode(await request.read(), type=FaultRequest)
        request.app[STATE].faults.apply(fault)
    except (msgspec.DecodeError, ValueError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"applied": msgspec.to_builtins(fault)})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(msgspec.to_builtins(request.app[STATE].stats))


class PolygonSimulator:
    """The simulator on its own thread and event loop, started and stopped from any thread."""

    def __init__(self, config: PolygonSimConfig) -> None:
        if not config.series:
            raise SimulatorError("the simulator has no bars to serve")
        if not config.rate > 0:
            raise SimulatorError(f"rate {config.rate} must be above 0 frames per second")
        tickers = [s.ticker for s in config.series]
        if len(set(tickers)) != len(tickers):
            raise SimulatorError(f"a ticker is given twice: {', '.join(sorted(tickers))}")
        self.config = config
        self.state = SimState(
            api_key=config.api_key, series={s.ticker: s for s in config.series}, rate=config.rate
        )
        self.port = config.port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def stats(self) -> SimStats:
        return self.state.stats

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.config.host}:{self.port}"

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as exc:  # handed to start()'s caller, who raises it
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="polygon-sim", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            loop.close()
            raise SimulatorError(
                f"cannot listen on {self.config.host}:{self.config.port}: {failure[0]}"
            )

    async def _bind(self) -> None:
        self._runner = web.AppRunner(build_app(self.state), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> PolygonSimulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
