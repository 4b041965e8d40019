"""`gauntlet db migrate` and `gauntlet db ingest`: the PostgreSQL schema and market-data loading.

The database is the configured one (postgres.dsn in the settings) or the embedded server that
`gauntlet up` started; `--dsn` overrides both. live.* is imported inside each command so
`gauntlet --help` stays fast. What live.* logs while a command runs (an ingest's retries) goes
to <data_dir>/logs/gauntlet.log, not to stderr, which keeps the contract's one line.
"""

from __future__ import annotations

import asyncio
import io
import logging
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
    except asyncpg.ClientConfigurationError as exc:  # a URL option asyncpg refuses (?sslmode=x)
        fail(f"PostgreSQL URL: {exc}")
    except (OSError, asyncpg.PostgresError) as exc:
        fail(postgres_problem(exc))


def postgres_problem(exc: BaseException) -> str:
    """One line for a PostgreSQL failure; a schema never migrated says how to migrate it."""
    import asyncpg

    if isinstance(exc, asyncpg.UndefinedTableError):
        return f"PostgreSQL: {exc}: apply the migrations first (gauntlet db migrate)"
    return f"PostgreSQL: {type(exc).__name__}: {exc}"


def stack_dsn(explicit: str | None = None) -> str:
    """The PostgreSQL to use: --dsn, else postgres.dsn from the settings, else `gauntlet up`'s;
    a URL that is not PostgreSQL's is refused here, before anything connects."""
    from live.db import DbConfigError, check_dsn

    if explicit is not None:
        origin, dsn = "--dsn", explicit
    else:
        from live.settings import load_settings
        from live.stack.stack import Stack

        origin, found = "postgres.dsn", Stack(load_settings()).endpoint("postgres")
        if found is None:
            fail(
                "no PostgreSQL: set postgres.dsn in the settings, pass --dsn, or run `gauntlet up`"
            )
        dsn = found
    try:
        return check_dsn(dsn)
    except DbConfigError as exc:
        fail(f"{origin}: {exc}")


def _check_names(instrument: str, timeframe: str | None) -> None:
    """The key the rows are stored under, checked before anything is read or connected to:
    a blank instrument or a timeframe that is no bar length would be stored as given."""
    from marketdata.timeframes import parse_timeframe

    if not instrument.strip() or not instrument.isprintable():
        fail("--instrument must be a name, e.g. EURUSD (not blank, no control characters)")
    if timeframe is not None:
        parse_timeframe(timeframe)  # DataError (exit 2) when it is not a bar length


LOG_FILE = Path("logs") / "gauntlet.log"  # under the settings' data_dir


class CommandLog(logging.FileHandler):
    """live.*'s log records for one command, appended to a file created on the first record
    (a command that logs nothing leaves no file)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, delay=True, encoding="utf-8")
        self.path = path
        self.records = 0
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def _open(self) -> io.TextIOWrapper:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        except OSError:
            return  # an unwritable data_dir must not fail the command; its own error line stays
        self.records += 1

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 -- logging's name
        """A failed write is dropped: logging would print a traceback to stderr."""


@contextmanager
def logged_to_file() -> Iterator[CommandLog]:
    """While the command runs, records of the `live` loggers go to LOG_FILE, and so not to
    logging's last-resort handler (stderr)."""
    from live.settings import load_settings

    handler = CommandLog(load_settings().state_dir / LOG_FILE)
    logger = logging.getLogger("live")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        handler.close()


@db_app.command("migrate")
def migrate(dsn: DsnOpt = None, schema: SchemaOpt = "gauntlet") -> None:
    """Apply the pending migrations (idempotent; refuses edited or unknown ones)."""
    from live.db import apply_migrations

    with one_line_errors(), logged_to_file():
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
    _check_names(instrument, timeframe)
    url = stack_dsn(dsn)
    with one_line_errors(IngestRejectedError), logged_to_file() as log:
        try:
            if ticks:
                report = asyncio.run(ingest_ticks(url, path, instrument=instrument, schema=schema))
            else:
                assert timeframe is not None  # checked above
                report = asyncio.run(
                    ingest_bars(
                        url, path, instrument=instrument, timeframe=timeframe, schema=schema
                    )
                )
        except IngestFailedError as exc:
            fail(f"{exc}; retries logged in {log.path}" if log.records else str(exc))
    typer.echo(
        f"{path}: {report.rows} rows, {report.rows_inserted} new, {report.rows_already_present} "
        f"already stored ({report.batches} batches, {report.batches_skipped} already committed)"
    )
