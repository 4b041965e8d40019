"""`gauntlet data fetch polygon`: bars from Polygon.io into the catalog (and PostgreSQL).

The fetch is `live.marketdata.backfill`: it asks Polygon only for the days the catalog lacks,
so a rerun after a failure (a wrong key, a 429 storm, PostgreSQL down, Ctrl-C) resumes where
the last one stopped and a rerun of a complete range asks for nothing. Every failure is one
line and exit 2; the line says what was kept.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from gauntlet.cli.app import fail
from gauntlet.cli.data_cmd import data_app
from gauntlet.cli.db_cmd import (
    DsnOpt,
    SchemaOpt,
    logged_to_file,
    one_line_errors,
    postgres_problem,
    stack_dsn,
)
from gauntlet.cli.options import CatalogOption, JsonOption

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from pydantic import SecretStr

    from live.marketdata.backfill import BackfillReport, Chunk
    from marketdata import Catalog

fetch_app = typer.Typer(
    help="Fetch bars from a market-data vendor into the catalog (and PostgreSQL).",
    no_args_is_help=True,
)
data_app.add_typer(fetch_app, name="fetch")

DEFAULT_BASE_URL = "https://api.polygon.io"
DEFAULT_KEY_SECRET = "POLYGON_API_KEY"


@fetch_app.command("polygon")
def polygon(
    ticker: Annotated[
        str, typer.Option("--ticker", help="Polygon ticker: C:EURUSD, X:BTCUSD, AAPL.")
    ],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC, included).")],
    timespan: Annotated[
        str, typer.Option("--timespan", help="second | minute | hour | day | week.")
    ] = "minute",
    multiplier: Annotated[
        int, typer.Option("--multiplier", min=1, help="Bars of this many timespans.")
    ] = 1,
    catalog: CatalogOption = None,
    db: Annotated[
        bool, typer.Option("--db", help="Also ingest the bars into PostgreSQL (binary COPY).")
    ] = False,
    dsn: DsnOpt = None,
    schema: SchemaOpt = "gauntlet",
    base_url: Annotated[
        str, typer.Option("--base-url", help="Polygon's REST API (a simulator's URL for tests).")
    ] = DEFAULT_BASE_URL,
    api_key_secret: Annotated[
        str, typer.Option("--api-key-secret", help="Name of the API key in the secrets provider.")
    ] = DEFAULT_KEY_SECRET,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Exit 0 when Polygon has no bars in the range.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fetch what the catalog lacks of TICKER's bars from --from to --to; reruns resume."""
    from execution_engine.adapters.polygon.providers import PolygonTickerError, polygon_ticker

    from live.marketdata.backfill import BackfillError, parse_day, timeframe_of

    # Bad input is refused before the secrets provider or anything else is asked.
    try:
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        timeframe_of(timespan, multiplier)
        polygon_ticker(ticker)
        if last < first:
            fail(f"--to {last} is before --from {first}")
    except (BackfillError, PolygonTickerError) as exc:
        fail(str(exc))
    url = stack_dsn(dsn) if (db or dsn is not None) else None
    from gauntlet.cli.venues import read_secrets
    from marketdata import Catalog

    key = read_secrets((api_key_secret,))[api_key_secret]
    store = Catalog(catalog)
    run = _Run(store.root, as_json)
    with one_line_errors(), logged_to_file(), run.progress():
        report = asyncio.run(
            run.fetch(key, base_url, ticker, first, last, timespan,
                      multiplier, store, url, schema, allow_empty)
        )  # fmt: skip
    _print(report, store.root, as_json)


class _Run:
    """One fetch: the progress line, and what was kept when it stops (for the error line)."""

    def __init__(self, root: Path, quiet: bool) -> None:
        self.root = root
        self.quiet = quiet
        self.last: BackfillReport | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    @contextmanager
    def progress(self) -> Iterator[None]:
        # On stderr, so --json's stdout stays one object; rich draws nothing off a terminal.
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]} bars"),
            console=Console(stderr=True),
            transient=True,
            disable=self.quiet,
        )
        self._bar = bar
        with bar:
            yield

    def on_progress(self, report: BackfillReport, chunk: Chunk | None) -> None:
        self.last = report
        if self._bar is None:
            return
        if self._task is None:
            self._task = self._bar.add_task(
                f"{report.ticker} {report.timeframe}", total=len(report.to_fetch), rows=0
            )
        if chunk is not None:
            self._bar.update(self._task, advance=1, rows=report.rows_fetched)

    async def fetch(
        self, key: SecretStr, base_url: str, ticker: str, first: date, last: date,
        timespan: str, multiplier: int, store: Catalog, dsn: str | None, schema: str,
        allow_empty: bool,
    ) -> BackfillReport:  # fmt: skip
        import asyncpg
        from execution_engine.adapters.polygon.errors import PolygonError
        from execution_engine.adapters.polygon.rest import PolygonRest

        from live.marketdata import IngestFailedError
        from live.marketdata.backfill import BackfillError, backfill
        from marketdata.errors import DataError

        try:
            async with PolygonRest(key, base_url=base_url) as rest:
                return await backfill(
                    rest, ticker, first, last, timespan, multiplier, store, dsn,
                    schema=schema, allow_empty=allow_empty, on_progress=self.on_progress,
                )  # fmt: skip
        except BackfillError as exc:
            fail(str(exc))
        except PolygonError as exc:
            fail(f"Polygon: {exc}{self._kept()}")
        except IngestFailedError as exc:
            fail(f"PostgreSQL: {exc}{self._kept()}")
        # Polygon's own connection errors are PolygonErrors: these are PostgreSQL's.
        except (asyncpg.PostgresError, ConnectionError, TimeoutError, socket.gaierror) as exc:
            fail(f"{postgres_problem(exc)}{self._kept()}")
        except DataError as exc:  # bars the catalog refuses, a damaged catalog file
            fail(f"{exc}{self._kept()}")
        except OSError as exc:  # the catalog's disk: full, read-only, a file where a folder goes
            fail(f"catalog {self.root}: {exc.strerror or exc}{self._kept()}")

    def _kept(self) -> str:
        report = self.last
        if report is None or not report.fetched:
            return "; nothing was written"
        return (
            f"; {len(report.fetched)} of {len(report.to_fetch)} range(s) done "
            f"({report.rows_written} bars written to {self.root}): run again to resume"
        )


def _print(report: BackfillReport, root: Path, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"catalog": str(root), **report.to_dict()}))
        return
    where = root / report.instrument / report.timeframe
    line = (
        f"{report.ticker} {report.timeframe} {report.first} → {report.last} → {where}: "
        f"{report.pages} page(s), {report.rows_fetched} bars fetched, {report.rows_written} "
        f"written, {report.rows_already_present} already present; {len(report.fetched)} "
        f"range(s) fetched, {len(report.skipped)} already in the catalog"
    )
    if report.db_rows_inserted is not None:
        line += (
            f"; PostgreSQL: {report.db_rows_inserted} new, "
            f"{report.db_rows_already_present} already stored"
        )
    typer.echo(line)
