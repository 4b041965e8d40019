"""`gauntlet sim mt5` / `gauntlet sim mt4`: the MetaTrader terminal simulator in the
foreground, dialing the bridge a venue config names, as the EA in a real terminal does.

It reads the same venue config the node reads (`venues/mt5-sim.toml`): the bridge's host and
port, the terminal id, the token's secret name (its value from the secrets provider) and the
dev CA it trusts. It replays bars from a file as ticks, keeps reconnecting while no node
listens, and stops on Ctrl-C or SIGTERM. Faults on demand: `gauntlet sim fault --state DIR`
writes `faults.json` into its state folder; the simulator applies it within 0.2 s and
deletes it (execution_engine.adapters.mt5.sim.control).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gauntlet.cli.app import fail, report_interrupted
from gauntlet.cli.sim_cmd import sim_app
from gauntlet.cli.venues import load_venue, read_secrets

if TYPE_CHECKING:
    from execution_engine.adapters.mt5.config import Mt5VenueConfig
    from execution_engine.adapters.mt5.sim.terminal import SimTerminalConfig, TerminalSimulator

MARGIN_MODES = ("netting", "hedging")
DEFAULT_STATE = Path(".gauntlet/sim/mt5")
ConfigOption = Annotated[
    Path, typer.Option("--config", help="The venue config the node reads (bridge, token, TLS).")
]
BarsOption = Annotated[
    Path | None, typer.Option("--bars", help="Bars file replayed as ticks (default: none).")
]
IntervalOption = Annotated[float, typer.Option(help="Seconds between replayed ticks.")]
MarginOption = Annotated[
    str | None, typer.Option("--margin-mode", help="netting or hedging (default: the config's).")
]
BalanceOption = Annotated[str, typer.Option(help="The account's starting balance, USD.")]
StateOption = Annotated[Path, typer.Option(help="Folder for faults.json and the log.")]


@sim_app.command("mt5")
def sim_mt5(
    config: ConfigOption = Path("venues/mt5-sim.toml"),
    bars: BarsOption = None,
    interval: IntervalOption = 1.0,
    margin_mode: MarginOption = None,
    balance: BalanceOption = "100000",
    state: StateOption = DEFAULT_STATE,
) -> None:
    """Run a simulated MetaTrader 5 terminal (the EA side) until Ctrl-C or SIGTERM."""
    _serve("mt5", config, bars, interval, margin_mode, balance, state)


@sim_app.command("mt4")
def sim_mt4(
    config: ConfigOption = Path("venues/mt4-sim.toml"),
    bars: BarsOption = None,
    interval: IntervalOption = 1.0,
    balance: BalanceOption = "100000",
    state: StateOption = Path(".gauntlet/sim/mt4"),
) -> None:
    """Run a simulated MetaTrader 4 terminal (hedging, HTTPS polling) until Ctrl-C."""
    _serve("mt4", config, bars, interval, "hedging", balance, state)


def _serve(
    platform: str, config: Path, bars: Path | None, interval: float, margin_mode: str | None,
    balance: str, state: Path,
) -> None:  # fmt: skip
    from execution_engine.adapters.mt5.sim.control import FaultControlFile, FaultFileError

    if not config.is_file():
        fail(f"venue config {config} does not exist")
    venue = load_venue(platform, config)
    sim_config = _sim_config(venue, bars, interval, margin_mode, balance)
    simulator = _simulator(sim_config)
    control = FaultControlFile(state.resolve(), simulator)
    simulator.start()
    try:
        _announce(simulator, venue, control.path)
        while True:
            try:
                control.apply_pending()
            except FaultFileError as exc:
                typer.echo(f"gauntlet: {exc}", err=True)
            time.sleep(0.2)
    except KeyboardInterrupt:
        simulator.stop()
        report_interrupted(
            f"{platform} terminal simulator stopped after {simulator.link.connects} bridge "
            f"connection(s), {len(control.applied)} fault request(s)"
        )


def _sim_config(
    venue: Mt5VenueConfig, bars: Path | None, interval: float, margin_mode: str | None,
    balance: str,
) -> SimTerminalConfig:  # fmt: skip
    from decimal import Decimal, InvalidOperation

    from execution_engine.adapters.mt5.codes import MarginMode
    from execution_engine.adapters.mt5.sim.config import EngineConfig
    from execution_engine.adapters.mt5.sim.terminal import SimTerminalConfig
    from pydantic import ValidationError

    if bars is not None and not bars.is_file():
        fail(f"bars file {bars} does not exist")
    if not 0 < interval <= 3_600:
        fail(f"--interval {interval} is not between 0 and 3600 seconds")
    mode = margin_mode or venue.margin_mode
    if mode not in MARGIN_MODES:
        fail(f"--margin-mode {mode!r}: choose netting or hedging")
    try:
        cash = Decimal(balance)
    except InvalidOperation:
        fail(f"--balance {balance!r} is not a number")
    bridge = venue.bridge_config()
    token = read_secrets((venue.token_secret,))[venue.token_secret]
    ca_file = None if venue.dev_tls_dir is None else venue.dev_tls_dir / "ca.pem"
    port = bridge.http_port if venue.platform == "mt4" else bridge.port
    if port is None:
        fail("the venue config's [bridge] has no http_port: an MT4 terminal polls it over HTTPS")
    margins = {"netting": MarginMode.NETTING, "hedging": MarginMode.HEDGING}
    try:
        engine = EngineConfig(platform=venue.platform, margin_mode=margins[mode], balance=cash)
        return SimTerminalConfig(
            host=bridge.host, port=port, token=token, terminal=bridge.terminal,
            ca_file=ca_file, tls=bridge.tls, platform=venue.platform, engine=engine,
            bars=bars, interval=interval,
        )  # fmt: skip
    except ValidationError as exc:
        fail(f"terminal simulator: {exc.errors()[0]['msg']}")


def _simulator(config: SimTerminalConfig) -> TerminalSimulator:
    from execution_engine.adapters.mt5.sim.terminal import TerminalSimulator

    from marketdata.errors import DataError

    try:
        simulator = TerminalSimulator(config)
    except DataError as exc:
        fail(f"--bars: {exc}")
    if config.bars is not None and not simulator.quotes:
        fail(f"bars file {config.bars} has no bars to replay")
    return simulator


def _announce(simulator: TerminalSimulator, venue: Mt5VenueConfig, faults: Path) -> None:
    config = simulator.config
    bridge = venue.bridge
    typer.echo(
        f"{config.platform} terminal simulator {config.terminal} ({config.engine.margin_mode.name.lower()} "
        f"account, {config.engine.balance} {config.engine.currency})"
    )
    typer.echo(
        f"  dials the bridge at {bridge.host}:{config.port} ({'TLS' if config.tls else 'plain'}), reconnecting until a node listens"
    )
    if config.bars is not None:
        typer.echo(
            f"  replaying {len(simulator.quotes)} ticks of {config.symbol}, one every {config.interval:g} s"
        )
    typer.echo(f"  faults on demand: gauntlet sim fault --state {faults.parent}")
    typer.echo("Ctrl-C stops it.")
    sys.stdout.flush()  # a pipe would hold the banner back while the simulator runs


@sim_app.command("fault")
def sim_fault(
    state: StateOption = DEFAULT_STATE,
    drop_after: Annotated[
        str | None, typer.Option(help="Drop the bridge after the next request of this op.")
    ] = None,
    delay: Annotated[float | None, typer.Option(help="Delay every answer, seconds.")] = None,
    restart: Annotated[bool, typer.Option("--restart", help="Drop the bridge now.")] = False,
    requotes: Annotated[int | None, typer.Option(help="Requote the next N deals.")] = None,
    reject_next: Annotated[
        str | None, typer.Option(help="Reject the next order with this text.")
    ] = None,
    autotrading: Annotated[str | None, typer.Option(help="on or off.")] = None,
    close_market: Annotated[str | None, typer.Option(help="Close SYMBOL's market.")] = None,
    open_market: Annotated[str | None, typer.Option(help="Open SYMBOL's market.")] = None,
) -> None:
    """Ask a running `gauntlet sim mt5|mt4` for a fault (applied within 0.2 s, once)."""
    from execution_engine.adapters.mt5.codes import Op
    from execution_engine.adapters.mt5.sim.control import FaultRequest, write_request
    from pydantic import ValidationError

    if drop_after is not None and drop_after not in set(Op):
        fail(f"--drop-after {drop_after!r} is not an operation: {', '.join(Op)}")
    if autotrading not in (None, "on", "off"):
        fail(f"--autotrading {autotrading!r}: choose on or off")
    try:
        request = FaultRequest(
            drop_after=drop_after, delay_seconds=delay, restart=restart, requotes=requotes,
            reject_next=reject_next,
            trade_allowed=None if autotrading is None else autotrading == "on",
            close_market=close_market, open_market=open_market,
        )  # fmt: skip
    except ValidationError as exc:
        fail(f"fault: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
    if request == FaultRequest():
        fail("no fault asked for: give at least one option (see --help)")
    path = write_request(state, request)
    typer.echo(f"fault requested: {request.model_dump_json(exclude_defaults=True)} ({path})")
