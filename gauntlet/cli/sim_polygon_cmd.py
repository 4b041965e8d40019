"""`gauntlet sim polygon`: the Polygon.io simulator (REST and WebSocket on one port).

Point anything written for Polygon at it: REST base http://HOST:PORT, WebSocket
ws://HOST:PORT/{stocks,forex,crypto}. Data from a bar file (--data), a Gauntlet catalog
(--catalog), N synthetic minute bars (--synthetic-minutes) or the bundled EURUSD sample
(served as C:EURUSD). Faults on demand: POST http://HOST:PORT/__sim__/faults, e.g.
`curl -d '{"rate_limit": 3}' .../__sim__/faults`; counters at GET /__sim__/stats.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gauntlet.cli.app import fail, report_interrupted
from gauntlet.cli.options import require_port
from gauntlet.cli.sim_cmd import sim_app

if TYPE_CHECKING:
    from execution_engine.adapters.polygon.sim.series import Series
    from execution_engine.adapters.polygon.sim.server import PolygonSimulator

MAX_SYNTHETIC_MINUTES = 20_000_000


@sim_app.command("polygon")
def sim_polygon(
    api_key: Annotated[str, typer.Option("--api-key", help="The key clients must send.")],
    port: Annotated[int, typer.Option(help="TCP port for REST and WebSocket.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    data: Annotated[
        Path | None, typer.Option("--data", help="A bar file (any format `gauntlet data` reads).")
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option("--catalog", help="A Gauntlet Parquet catalog: every instrument.")
    ] = None,
    synthetic_minutes: Annotated[
        int | None, typer.Option(help="Serve N deterministic synthetic minute bars instead.")
    ] = None,
    ticker: Annotated[
        str | None, typer.Option(help="The ticker --data is served as (e.g. C:EURUSD, AAPL).")
    ] = None,
    rate: Annotated[float, typer.Option(help="WebSocket frames per second per connection.")] = 10.0,
) -> None:
    """Run the Polygon.io simulator until Ctrl-C or SIGTERM."""
    require_port(port)
    if not api_key.strip():
        fail("--api-key is empty: give the key clients will send")
    if not 0 < rate <= 100_000:
        fail(f"--rate {rate:g} is not between 0 and 100000 frames per second")
    series = _series(data, catalog, synthetic_minutes, ticker)
    simulator = _start(api_key, host, port, rate, series)
    try:
        _announce(simulator)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        stats = simulator.stats
        simulator.stop()
        report_interrupted(
            f"Polygon simulator stopped after {stats.requests} REST request(s), "
            f"{stats.ws_connections} WebSocket connection(s), {stats.events_sent} event(s)"
        )


def _series(
    data: Path | None, catalog: Path | None, minutes: int | None, ticker: str | None
) -> list[Series]:
    from execution_engine.adapters.polygon.sim import sources
    from execution_engine.adapters.polygon.sim.series import SeriesError

    from marketdata.errors import DataError

    if sum(x is not None for x in (data, catalog, minutes)) > 1:
        fail("give one of --data, --catalog and --synthetic-minutes")
    try:
        if data is not None:
            if not data.is_file():
                fail(f"--data {data} does not exist")
            return sources.from_file(data, ticker)
        if catalog is not None:
            if not catalog.is_dir():
                fail(f"--catalog {catalog} is not a folder")
            found = sources.from_catalog(catalog)
            if not found:
                fail(f"--catalog {catalog} holds no bars")
            return found
        if minutes is not None:
            if not 1 <= minutes <= MAX_SYNTHETIC_MINUTES:
                fail(f"--synthetic-minutes {minutes} is not between 1 and {MAX_SYNTHETIC_MINUTES}")
            return sources.synthetic_minutes(minutes, ticker or "C:EURUSD")
        return sources.sample()
    except (DataError, SeriesError) as exc:
        fail(str(exc))


def _start(
    api_key: str, host: str, port: int, rate: float, series: list[Series]
) -> PolygonSimulator:
    from execution_engine.adapters.polygon.sim.server import (
        PolygonSimConfig,
        PolygonSimulator,
        SimulatorError,
    )

    config = PolygonSimConfig(api_key=api_key, series=series, host=host, port=port, rate=rate)
    try:
        simulator = PolygonSimulator(config)
        simulator.start()
    except SimulatorError as exc:
        fail(str(exc))
    return simulator


def _announce(simulator: PolygonSimulator) -> None:
    typer.echo(f"Polygon.io simulator listening on {simulator.base_url}")
    typer.echo(
        f"  REST: {simulator.base_url}/v2/aggs/ticker/..., /v2/last/..., /v3/reference/tickers"
    )
    typer.echo(f"  WebSocket: {simulator.ws_url}/stocks, /forex, /crypto")
    for series in simulator.config.series:
        first, last = (
            time.strftime("%Y-%m-%d", time.gmtime(t / 1000)) for t in (series.t[0], series.t[-1])
        )
        typer.echo(
            f"  {series.ticker}: {len(series)} bars of {series.resolution_ms // 1000} s, {first} to {last}"
        )
    typer.echo(f"  faults: POST {simulator.base_url}/__sim__/faults, stats: GET .../__sim__/stats")
    typer.echo("Ctrl-C stops it.")
    sys.stdout.flush()  # a pipe would hold the banner back while the simulator runs
