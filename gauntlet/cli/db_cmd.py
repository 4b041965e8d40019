"""`gauntlet db migrate` and `gauntlet db ingest`: the PostgreSQL schema and market-data loading.

The database is the configured one (postgres.dsn in the settings) or the embedded server that
`gauntlet up` started; `--dsn` overrides both. live.* is imported inside each command so
`gauntlet --help` stays fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gauntlet.cli.app import app, fail

db_app = typer.Typer(help="PostgreSQL: apply migrations, ingest market data.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DsnOpt = Annotated[
    str | None,
    typer.Option("--dsn", help="PostgreSQL URL (default: settings, else `gauntlet up`)."),
]
SchemaOpt = Annotated[str, typer.Option("--schema", help="Schema holding Gauntlet's tables.")]


@contextmanager
def one_line_errors(*also: type[Exception]) -> Iterator[None]:
    """Bad files, edited migrations and unreachable servers are the user's to fix: one line."""
    import asyncpg

    from live.db import DbConfigError, MigrationError

    expected: tuple[type[Exception], ...] = (DbConfigError, MigrationError, *also)
    try:
        yield
    except expected as exc:
        fail(str(exc))
    except (OSError, asyncpg.PostgresError) as exc:
        fail(f"PostgreSQL: {type(exc).__name__}: {exc}")


def stack_dsn(explicit: str | None = None) -> str:
    """The PostgreSQL to use: --dsn, else postgres.dsn from the settings, else `gauntlet up`'s."""
    if explicit:
        return explicit
    from live.settings import load_settings
    from live.stack.stack import Stack

    dsn = Stack(load_settings()).endpoint("postgres")
    if dsn is None:
        fail("no PostgreSQL: set postgres.dsn in the settings, pass --dsn, or run `gauntlet up`")
    return dsn


@db_app.command("migrate")
def migrate(dsn: DsnOpt = None, schema: SchemaOpt = "gauntlet") -> None:
    """Apply the pending migrations (idempotent; refuses edited or unknown ones)."""
    from live.db import apply_migrations

    with one_line_errors():
        applied = asyncio.run(apply_migrations(stack_dsn(dsn), schema=schema))
    done = ", ".join(f"{version:04d}" for version in applied)
    typer.echo(f"schema {schema}: applied {done}" if applied else f"schema {schema}: up to date")


@db_app.command("ingest")
def ingest(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet: timestamp + OHLC[V], or bid/ask.")],
    instrument: Annotated[str, typer.Option("--instrument", help="e.g. EURUSD")],
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", help="Bar timeframe, e.g. 1m; omit with --ticks.")
    ] = None,
    ticks: Annotated[bool, typer.Option("--ticks", help="The file holds ticks, not bars.")] = False,
    dsn: DsnOpt = None,
    schema: SchemaOpt = "gauntlet",
) -> None:
    """Load bars (or ticks) into PostgreSQL; re-loading the same file adds nothing."""
    from live.marketdata import IngestFailedError, IngestRejectedError, ingest_bars, ingest_ticks

    if ticks == (timeframe is not None):
        fail("give --timeframe for bars, or --ticks for ticks (not both)")
    with one_line_errors(IngestRejectedError, IngestFailedError):
        if ticks:
            report = asyncio.run(
                ingest_ticks(stack_dsn(dsn), path, instrument=instrument, schema=schema)
            )
        else:
            assert timeframe is not None  # checked above
            report = asyncio.run(
                ingest_bars(
                    stack_dsn(dsn), path, instrument=instrument, timeframe=timeframe, schema=schema
                )
            )
    typer.echo(
        f"{path}: {report.rows} rows, {report.rows_inserted} new, {report.rows_already_present} "
        f"already stored ({report.batches} batches, {report.batches_skipped} already committed)"
    )
