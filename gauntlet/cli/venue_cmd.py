"""`gauntlet venue certify`: the venue conformance kit from the command line (issue 12).

`--sim` starts the bundled simulator on a free port in a temporary state folder (quotes it
pushes itself), runs the cards against it and stops it; `--config FILE` runs them against
any endpoint that venue config names, credentials from the secrets provider. A rich table,
or with `--json` one object (execution_engine.conformance.results); exit 0 when no card
fails, 1 when one does, 2 for bad input. QuickFIX and NautilusTrader are imported inside
the command (`gauntlet --help` stays fast), and their native console output goes to
`engine.log` in the state folder.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from gauntlet.cli.app import app, fail, reclaim_stop_signals
from gauntlet.cli.native_output import native_output_to
from gauntlet.cli.venues import METATRADER, VENUES, load_venue, venue_resolver

if TYPE_CHECKING:
    from execution_engine.conformance.card import Card
    from execution_engine.conformance.results import CardResult, KitReport
    from execution_engine.conformance.venue import VenueUnderTest
    from pydantic import SecretStr

venue_app = typer.Typer(help="Venue adapters: the conformance kit.", no_args_is_help=True)
app.add_typer(venue_app, name="venue")

_MAX_TIMEOUT_SECONDS = 600.0
_STATUS_STYLE = {"pass": "green", "fail": "bold red", "not_applicable": "yellow"}


@venue_app.command("certify")
def certify(
    venue: str = typer.Option(..., "--venue", help=f"The adapter: {', '.join(VENUES)}."),
    sim: bool = typer.Option(False, "--sim", help="Start the bundled simulator and certify it."),
    config: Path | None = typer.Option(None, "--config", help="Venue config of the endpoint."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    cards: str = typer.Option("", "--cards", help="Comma-separated card ids (default: all)."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds each card may wait."),
    instrument: str = typer.Option("EURUSD", "--instrument", help="What the cards trade."),
    state: Path | None = typer.Option(
        None, "--state", help="Keep the node's state and logs here (default: a temp folder)."
    ),
) -> None:
    """Run the conformance cards against a venue; exit 1 when a card fails."""
    _check(venue, sim, config, timeout)
    from execution_engine.conformance.catalog import UnknownCardError, select

    try:
        chosen = select(cards.split(",") if cards else ())
    except UnknownCardError as exc:
        fail(str(exc))
    with _state_folder(state) as folder:
        target = _sim_venue(venue, folder) if sim else _config_venue(venue, config, instrument)
        report = _run(target, folder, chosen, timeout, as_json)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_table(report)
    if not report.ok and state is None:
        typer.echo("the node's logs were in a temporary folder: --state DIR keeps them", err=True)
    raise typer.Exit(0 if report.ok else 1)


def _check(venue: str, sim: bool, config: Path | None, timeout: float) -> None:
    if venue not in VENUES:
        fail(f"unknown venue {venue!r}; the kit knows {', '.join(VENUES)}")
    if sim == (config is not None):
        fail("give exactly one of --sim (the bundled simulator) or --config FILE (an endpoint)")
    if config is not None and not config.is_file():
        fail(f"venue config {config} does not exist")
    if not 0 < timeout <= _MAX_TIMEOUT_SECONDS:
        fail(f"--timeout {timeout:g} is not between 0 and {_MAX_TIMEOUT_SECONDS:g} seconds")


@contextmanager
def _state_folder(state: Path | None) -> Iterator[Path]:
    if state is not None:
        state.mkdir(parents=True, exist_ok=True)
        yield state.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="gauntlet-certify-") as folder:
        yield Path(folder)


def _sim_venue(venue: str, folder: Path) -> VenueUnderTest:
    from live.stack._process import free_port

    if venue in METATRADER:
        from execution_engine.conformance.mt5_venue import Mt5SimVenue

        return Mt5SimVenue(folder / "sim", platform=venue)
    if venue == "oanda":
        from execution_engine.conformance.oanda_venue import OandaSimVenue

        return OandaSimVenue()
    from execution_engine.conformance.fix_venue import FixSimVenue

    return FixSimVenue(folder / "sim", free_port())


def _config_venue(venue: str, config: Path | None, instrument: str) -> VenueUnderTest:
    assert config is not None  # _check: --config unless --sim
    venue_config = load_venue(venue, config)
    if venue in METATRADER:
        from execution_engine.conformance.mt5_venue import Mt5Venue

        return Mt5Venue(venue_config, venue_resolver(venue_config), symbol=instrument)
    if venue == "oanda":
        return _oanda_venue(venue_config, instrument)
    from execution_engine.adapters.fix.providers import fix_instrument
    from execution_engine.adapters.sandbox.providers import UnknownInstrumentError
    from execution_engine.conformance.fix_venue import FixVenue

    try:
        fix_instrument(instrument)
    except UnknownInstrumentError as exc:
        fail(str(exc))
    return FixVenue(venue_config, venue_resolver(venue_config), instrument=instrument)


def _oanda_venue(venue_config: object, instrument: str) -> VenueUnderTest:
    from execution_engine.adapters.oanda.config import OandaVenueConfig
    from execution_engine.adapters.oanda.providers import UnknownInstrumentError, oanda_name
    from execution_engine.conformance.oanda_venue import OandaVenue

    assert isinstance(venue_config, OandaVenueConfig)  # load_venue("oanda", ...)
    try:
        name = oanda_name(instrument)
    except UnknownInstrumentError as exc:
        fail(str(exc))
    return OandaVenue(venue_config, venue_resolver(venue_config), instrument=name)


def _run(
    target: VenueUnderTest, folder: Path, chosen: list[Card], timeout: float, as_json: bool
) -> KitReport:
    from execution_engine.adapters.fix.sim.server import SimulatorError
    from execution_engine.adapters.oanda.sim.simulator import (
        SimulatorError as OandaSimulatorError,
    )
    from execution_engine.conformance.runner import run_kit

    reclaim_stop_signals()  # QuickFIX and NautilusTrader replaced the SIGINT handler
    if not as_json:
        typer.echo(f"certifying {target.name} at {target.endpoint}: {len(chosen)} cards", err=True)
    # The terminal's stderr, kept before the native output is sent to the log: each card's
    # outcome is shown as it comes (a broker's UAT run takes minutes), unless --json.
    with os.fdopen(os.dup(2), "w", encoding="utf-8") as terminal:
        progress = None if as_json else _progress(terminal)
        try:
            with native_output_to(folder / "engine.log"):
                return run_kit(target, folder / "node", chosen, timeout, on_result=progress)
        except (SimulatorError, OandaSimulatorError) as exc:
            fail(str(exc))


def _progress(terminal: TextIO) -> Callable[[CardResult], None]:
    def show(card: CardResult) -> None:
        terminal.write(f"  {card.id:<7} {card.status.value:<14} {card.seconds:5.1f} s\n")
        terminal.flush()

    return show


def _print_table(report: KitReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.venue} at {report.endpoint}, {report.instrument}")
    for column in ("card", "name", "status", "reason", "s"):
        table.add_column(column, justify="right" if column == "s" else "left")
    for card in report.cards:
        style = _STATUS_STYLE[card.status.value]
        status = f"[{style}]{card.status.value}[/{style}]"
        table.add_row(card.id, card.name, status, card.reason, f"{card.seconds:.1f}")
    console = Console()
    console.print(table)
    console.print(
        f"{report.passed} passed, {report.failed} failed, {report.not_applicable} not applicable"
    )


@venue_app.command("token")
def token(
    terminal: str = typer.Option(
        ..., "--terminal", help="The terminal's id (the EA's InpTerminalId)."
    ),
    days: int = typer.Option(90, "--days", help="Days until the token expires."),
    secret: str | None = typer.Option(
        None,
        "--secret",
        help="Store it in the secrets provider under this name (the venue config's token_secret).",
    ),
) -> None:
    """Make a MetaTrader terminal's bridge token and print it (type it into the EA's InpToken).

    With --secret it is also stored in the configured secrets provider, where the node reads
    it; without, export it to the provider yourself (env: GAUNTLET_SECRET_<NAME>)."""
    import datetime as dt

    from execution_engine.adapters.mt5.auth import TokenError, new_token
    from pydantic import SecretStr

    if not 1 <= days <= 3_650:
        fail(f"--days {days} is not between 1 and 3650")
    try:
        made = new_token(terminal, dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
    except TokenError as exc:
        fail(f"--terminal: {exc}")
    if secret is not None:
        _store(secret, SecretStr(made))
    typer.echo(made)


def _store(name: str, value: SecretStr) -> None:
    from live.secrets.base import SecretsError
    from live.secrets.factory import provider_from_settings
    from live.settings import SettingsError, load_settings

    try:
        version = provider_from_settings(load_settings()).put(name, value)
    except (SecretsError, SettingsError) as exc:
        fail(f"--secret: {' '.join(str(exc).split())}")
    typer.echo(f"stored as secret {name!r} (version {version})", err=True)
