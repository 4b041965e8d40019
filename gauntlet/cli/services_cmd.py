"""`gauntlet up/status/down`, `gauntlet config show`, `gauntlet secrets rotate/check`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from gauntlet.cli.app import app, fail
from gauntlet.cli.options import JsonOption

MAX_AGE_DAYS = 36_500  # live.settings.MAX_AGE_DAYS (not imported: `--help` stays fast)

if TYPE_CHECKING:
    from live.settings import GauntletSettings
    from live.stack.stack import ServiceStatus

config_app = typer.Typer(help="Inspect the effective settings.", no_args_is_help=True)
secrets_app = typer.Typer(help="Rotate and check secrets.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(secrets_app, name="secrets")


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Settings, stack and secrets failures are the user's to fix: one line, exit 2."""
    from live.secrets import SecretsError
    from live.settings import SettingsError
    from live.stack.errors import StackStateError
    from live.stack.stack import StackError
    from live.stack.vault import EmbeddedVaultError

    try:
        yield
    except (SettingsError, StackError, StackStateError, SecretsError, EmbeddedVaultError) as exc:
        fail(str(exc))


def _settings() -> GauntletSettings:
    from live.settings import load_settings

    with _one_line_errors():
        return load_settings()


@app.command("up")
def up(
    only: str = typer.Option("", "--only", help="Comma-separated services, e.g. nats,vault."),
) -> None:
    """Start the local stack (embedded services for every URL not set in the settings)."""
    from live.stack.stack import Stack

    selected = [name.strip() for name in only.split(",") if name.strip()]
    stack = Stack(_settings())
    with _one_line_errors():
        statuses = stack.up(selected or None)
    _print_statuses(statuses, as_json=False)
    postgres = next((s for s in statuses if s.name == "postgres"), None)
    if postgres is not None:
        _migrate_on_start(stack.endpoint("postgres") if postgres.healthy else None)


def _migrate_on_start(dsn: str | None) -> None:
    """The stack's database is brought to the current schema whenever it is started."""
    import asyncio

    import asyncpg

    from live.db import DEFAULT_SCHEMA, MigrationError, apply_migrations

    if dsn is None:
        typer.echo("postgres: not reachable, migrations not applied (run `gauntlet db migrate`)")
        return
    try:
        applied = asyncio.run(apply_migrations(dsn))
    except MigrationError as exc:
        fail(str(exc))
    except (OSError, asyncpg.PostgresError) as exc:
        fail(f"PostgreSQL: migrations failed: {type(exc).__name__}: {exc}")
    done = ", ".join(f"{version:04d}" for version in applied) or "none pending"
    typer.echo(f"postgres: schema {DEFAULT_SCHEMA} migrated ({done})")


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """Show each service: embedded or external, where it answers, healthy or not."""
    from live.stack.stack import Stack

    with _one_line_errors():
        statuses = Stack(_settings()).status()
    _print_statuses(statuses, as_json=as_json)


@app.command("down")
def down() -> None:
    """Stop the embedded services cleanly (external servers are left alone)."""
    from live.stack.stack import Stack

    with _one_line_errors():
        stopped = Stack(_settings()).down()
    typer.echo(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


@config_app.command("show")
def config_show(
    as_json: JsonOption = False,
) -> None:
    """Print the effective settings (environment over gauntlet.toml); secrets are redacted."""
    data = _settings().redacted()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in _flatten(data):
        typer.echo(f"{key} = {value}")


@secrets_app.command("rotate")
def secrets_rotate(
    name: str = typer.Argument(..., help="Secret name, e.g. oanda_api_key."),
    generate: bool = typer.Option(
        False, "--generate", help="Generate a random value instead of reading stdin."
    ),
) -> None:
    """Write a new version of NAME (value from stdin, or --generate) and record when."""
    from pydantic import SecretStr

    from live.secrets import generate_secret, rotate
    from live.secrets.base import check_name
    from live.secrets.factory import provider_from_settings

    with _one_line_errors():
        check_name(name)  # before stdin is read or any backend is asked
    if generate:
        value = generate_secret()
    else:
        if sys.stdin.isatty():
            fail("pipe the new value on stdin, or pass --generate")
        value = SecretStr(_stdin_text().strip())
        if not value.get_secret_value():
            fail(f"no value for secret {name!r} on stdin")
    with _one_line_errors():
        provider = provider_from_settings(_settings())
        if provider.backend == "env":
            # A child process cannot change its parent shell's environment.
            fail(
                f"the env secrets backend cannot store a rotation: set GAUNTLET_SECRET_{name.upper()} yourself"
            )
        version = rotate(provider, name, value)
    typer.echo(f"rotated {name}: now version {version}")


@secrets_app.command("check")
def secrets_check(
    max_age_days: int | None = typer.Option(
        None,
        "--max-age-days",
        min=1,
        max=MAX_AGE_DAYS,
        help="Default: secrets.max_age_days (90).",
    ),
) -> None:
    """List secrets older than the limit; exit 1 when any is stale."""
    from live.secrets import stale_keys
    from live.secrets.factory import provider_from_settings

    settings = _settings()
    limit = max_age_days or settings.secrets.max_age_days
    with _one_line_errors():
        stale = stale_keys(provider_from_settings(settings), limit)
    if not stale:
        typer.echo(f"all secrets younger than {limit} days")
        return
    for key in stale:
        age = "unknown age" if key.age_days is None else f"{key.age_days} days old"
        typer.echo(f"stale: {key.name} (version {key.version}, {age}); rotate it")
    raise typer.Exit(1)


def _stdin_text() -> str:
    """All of stdin as UTF-8 text; bytes that are not are refused, not stored mangled (the
    text layer's surrogateescape would let them through under a C locale)."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # a text-only stream (tests, notebooks)
        return sys.stdin.read()
    try:
        return bytes(raw.read()).decode("utf-8")
    except UnicodeDecodeError:
        fail("the value on stdin is not UTF-8 text")


def _print_statuses(statuses: list[ServiceStatus], *, as_json: bool) -> None:
    from dataclasses import asdict

    if as_json:
        typer.echo(json.dumps([asdict(s) for s in statuses]))
        return
    table = Table(title="Gauntlet services")
    for column in ("service", "mode", "url", "pid", "health"):
        table.add_column(column)
    for s in statuses:
        health = "[green]healthy[/green]" if s.healthy else "[red]down[/red]"
        table.add_row(s.name, s.mode, s.url or "-", str(s.pid or "-"), health)
    Console().print(table)


def _flatten(data: dict[str, object], prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
