"""`gauntlet sim oanda`: the OANDA v20 simulator in the foreground.

One port serves the v20 REST routes and both streams (plain HTTP on loopback, HTTPS with
`--tls` and a development CA written under --state). It creates one account, replays the
bars of --data (the bundled sample by default) as prices, and stops on Ctrl-C or SIGTERM.
Prices and faults on demand: POST /__sim__/quote and /__sim__/faults on the same port.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gauntlet.cli.app import fail, report_interrupted
from gauntlet.cli.options import require_port
from gauntlet.cli.sim_cmd import sim_app

if TYPE_CHECKING:
    from execution_engine.adapters.oanda.sim.config import SimConfig
    from execution_engine.adapters.oanda.sim.simulator import OandaSimulator


@sim_app.command("oanda")
def sim_oanda(
    token: Annotated[str, typer.Option(help="The bearer token clients must send.")],
    port: Annotated[
        int,
        typer.Option(help="The port of REST and streams (0: any free); venues/oanda-sim.toml's."),
    ] = 7590,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    data: Annotated[
        Path | None, typer.Option(help="Bars file replayed as prices (default: the sample).")
    ] = None,
    tls: Annotated[bool, typer.Option("--tls", help="HTTPS with a development CA.")] = False,
    hedging: Annotated[bool, typer.Option("--hedging", help="A hedging account.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between replayed quotes.")] = 1.0,
    balance: Annotated[str, typer.Option(help="The account's opening balance, USD.")] = "100000",
    stream_rate: Annotated[
        float | None,
        typer.Option(help="Benchmark mode: each price stream replays at N lines/s (0: max)."),
    ] = None,
    heartbeat: Annotated[float, typer.Option(help="Seconds between stream heartbeats.")] = 5.0,
    rate_limit: Annotated[int, typer.Option(help="Requests per second per connection.")] = 120,
    state: Annotated[Path, typer.Option(help="Folder for the TLS files.")] = Path(
        ".gauntlet/sim/oanda"
    ),
) -> None:
    """Run the OANDA v20 simulator (REST + pricing and transaction streams) until Ctrl-C."""
    config = _config(token, port, host, data, tls, hedging, interval, balance, stream_rate,
                     heartbeat, rate_limit, state)  # fmt: skip
    simulator = _simulator(config)
    try:
        simulator.start()
    except RuntimeError as exc:
        fail(str(exc))
    try:
        _announce(simulator)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        simulator.stop()
        report_interrupted(
            f"OANDA simulator stopped after {simulator.broker.log.last_id} transaction(s)"
        )


def _config(
    token: str, port: int, host: str, data: Path | None, tls: bool, hedging: bool,
    interval: float, balance: str, stream_rate: float | None, heartbeat: float,
    rate_limit: int, state: Path,
) -> SimConfig:  # fmt: skip
    from execution_engine.adapters.oanda.sim.config import SimConfig
    from pydantic import SecretStr, ValidationError

    if not token.strip():
        fail("--token is empty: clients authenticate with it")
    if data is not None and not data.is_file():
        fail(f"--data {data} " + ("is not a file" if data.exists() else "does not exist"))
    require_port(port)
    if not 0 < interval <= 3_600:
        fail(f"--interval {interval} is not between 0 and 3600 seconds")
    try:
        cash = Decimal(balance)
    except InvalidOperation:
        fail(f"--balance {balance!r} is not a number")
    try:
        return SimConfig(
            host=host, port=port, token=SecretStr(token), data=data, hedging=hedging,
            interval=interval, balance=cash, stream_rate=stream_rate,
            heartbeat_interval=heartbeat, rate_limit=rate_limit,
            tls_dir=(state / "tls").resolve() if tls else None,
        )  # fmt: skip
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        fail(f"--{_OPTION_OF.get(field, field.replace('_', '-'))}: {error['msg']}")


# SimConfig fields whose option has another name.
_OPTION_OF = {"heartbeat_interval": "heartbeat", "tls_dir": "state"}


def _simulator(config: SimConfig) -> OandaSimulator:
    from execution_engine.adapters.oanda.sim.simulator import OandaSimulator

    from marketdata.errors import DataError

    try:
        simulator = OandaSimulator(config)
    except DataError as exc:
        fail(f"--data: {exc}")
    if not simulator.market.bars:
        fail(f"--data {config.data} has no bars to replay")
    return simulator


def _announce(simulator: OandaSimulator) -> None:
    config = simulator.config
    scheme = "https" if simulator.tls else "http"
    kind = "hedging" if config.hedging else "FIFO netting"
    typer.echo(
        f"OANDA v20 simulator on {scheme}://{config.host}:{simulator.port} "
        f"(account {simulator.account_id}, {kind}, {config.balance} {config.currency})"
    )
    instruments = ", ".join(simulator.market.specs)
    pace = (
        f"one quote every {config.interval:g} s"
        if config.stream_rate is None
        else f"streams replay at {config.stream_rate:g} lines/s (0: unlimited)"
    )
    typer.echo(f"  {len(simulator.market.bars)} bars replayed as {instruments}: {pace}")
    if simulator.ca_file is not None:
        typer.echo(f"  TLS: clients trust {simulator.ca_file}")
    typer.echo("  prices and faults on demand: POST /__sim__/quote, /__sim__/faults")
    typer.echo("Ctrl-C stops it.")
    sys.stdout.flush()  # a pipe would hold the banner back while the simulator runs
