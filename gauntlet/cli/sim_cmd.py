"""`gauntlet sim fix`: the local FIX 4.4 broker simulator over TLS, in the foreground.

It replays bars from a file as bid/ask quotes, fills orders against them, writes its
development CA, its ledger and a ready client config (fix-sim.toml) under --state, and
stops on Ctrl-C or SIGTERM. The QuickFIX engine is imported inside the command so
`gauntlet --help` stays fast.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gauntlet.cli.app import app, fail, reclaim_stop_signals, report_interrupted
from gauntlet.cli.native_output import native_output_to
from gauntlet.cli.options import require_port

if TYPE_CHECKING:
    from execution_engine.adapters.fix.sim.server import FixSimulator

sim_app = typer.Typer(help="Local venue simulators for live trading.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")

# The simulator's own credentials (a development broker); clients read them as the secrets
# named in fix-sim.toml, e.g. GAUNTLET_SECRET_FIX_SIM_PASSWORD for the env provider.
PASSWORD_ENV = "GAUNTLET_SIM_FIX_PASSWORD"
DEFAULT_PASSWORD = "sim-password"


@sim_app.command("fix")
def sim_fix(
    bars: Path = typer.Option(..., "--bars", help="Bars file (any format `gauntlet data` reads)."),
    port: int = typer.Option(9876, "--port", help="TCP port to accept FIX sessions on."),
    state: Path = typer.Option(
        Path(".gauntlet/sim/fix"), "--state", help="CA, store, logs, ledger."
    ),
    symbol: str = typer.Option("EURUSD", "--symbol", help="The symbol the bars are quotes of."),
    spread: str = typer.Option("0.0002", "--spread", help="Bid-ask width in price units."),
    precision: int = typer.Option(5, "--precision", help="Price decimals."),
    interval: float = typer.Option(1.0, "--interval", help="Seconds between replayed quotes."),
    top_size: str = typer.Option(
        "", "--top-size", help="Size on the touch per quote (partial fills)."
    ),
    username: str = typer.Option(
        "gauntlet", "--username", help="Logon username clients must send."
    ),
) -> None:
    """Run the FIX broker simulator until Ctrl-C or SIGTERM."""
    from execution_engine.adapters.fix.sim.book import BookRules
    from execution_engine.adapters.fix.sim.quotes import quotes_from_bar_file
    from execution_engine.adapters.fix.sim.server import (
        FixSimulator,
        SimulatorConfig,
        SimulatorError,
    )

    _check(port, precision, interval, bars)
    quotes = quotes_from_bar_file(bars, symbol, _decimal("--spread", spread), precision)
    if not quotes:
        fail(f"bars file {bars} has no bars to replay")
    rules = BookRules(
        top_size=_decimal("--top-size", top_size) if top_size else None, symbols=frozenset({symbol})
    )
    config = SimulatorConfig(
        port=port, state_dir=state.resolve(), username=username,
        password=os.environ.get(PASSWORD_ENV, DEFAULT_PASSWORD), rules=rules,
        quote_interval_seconds=interval,
    )  # fmt: skip
    simulator = FixSimulator(config, quotes)
    try:
        simulator.start()
    except SimulatorError as exc:
        fail(str(exc))
    reclaim_stop_signals()  # QuickFIX and NautilusTrader replaced the SIGINT handler
    try:
        _announce(simulator, symbol, len(quotes))
        with native_output_to(config.state_dir / "log" / "engine.log", fds=(2,)):
            while True:
                time.sleep(0.5)
    except KeyboardInterrupt:
        counts = simulator.ledger.counts()
        simulator.stop()
        report_interrupted(
            f"FIX simulator stopped ({counts['order']} orders, {counts['fill']} fills; "
            f"ledger {config.ledger_path})"
        )


def _check(port: int, precision: int, interval: float, bars: Path) -> None:
    require_port(port, any_free=False)
    if not 0 <= precision <= 9:
        fail(f"--precision {precision} is not between 0 and 9")
    if not 0 < interval <= 3_600:
        fail(f"--interval {interval} is not between 0 and 3600 seconds")
    if not bars.is_file():
        fail(f"bars file {bars} does not exist")


def _decimal(option: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{option} {text!r} is not a number")
    if not value.is_finite() or value < 0:
        fail(f"{option} {text!r} is not a finite number >= 0")
    return value


def _announce(simulator: FixSimulator, symbol: str, quotes: int) -> None:
    config, ca = simulator.config, simulator.ca
    assert ca is not None  # set by start()
    client = write_client_config(simulator)
    typer.echo(f"FIX 4.4 simulator listening on {simulator.endpoint} (TLS)")
    typer.echo(f"  SenderCompID {config.sender_comp_id}, clients log on as {config.target_comp_id}")
    typer.echo(f"  dev CA: {ca.ca_file}")
    typer.echo(f"  client config: {client}")
    typer.echo(f"  ledger: {config.ledger_path}")
    typer.echo(
        f"  replaying {quotes} quotes of {symbol}, one every {config.quote_interval_seconds:g} s"
    )
    typer.echo("Ctrl-C stops it.")
    sys.stdout.flush()  # a pipe would hold the banner back while the simulator runs


def write_client_config(simulator: FixSimulator) -> Path:
    """A venue config for `gauntlet live --venue fix`, pointing at this simulator and CA."""
    config, ca = simulator.config, simulator.ca
    assert ca is not None  # set by start()
    path = config.state_dir / "fix-sim.toml"
    path.write_text(
        "# Written by `gauntlet sim fix`. Credentials are secret names, resolved at logon.\n"
        f'host = "127.0.0.1"\nport = {config.port}\n'
        f'sender_comp_id = "{config.target_comp_id}"\ntarget_comp_id = "{config.sender_comp_id}"\n'
        'username_secret = "fix_sim_username"\npassword_secret = "fix_sim_password"\n'
        f'account = "{config.account}"\n\n[tls]\nca_file = "{ca.ca_file}"\nverify = true\n',
        encoding="utf-8",
    )
    return path
