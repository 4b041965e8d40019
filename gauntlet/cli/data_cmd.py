"""`gauntlet data ...`: check data files, import them into the catalog, list it, synthesize bars.

marketdata (pandas, polars) is imported inside each command so `gauntlet --help` stays fast.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gauntlet.cli.app import app, fail
from gauntlet.cli.options import (
    CalendarOption,
    CatalogOption,
    DataFileArgument,
    DateFormatOption,
    FormatOption,
    JsonOption,
    TimeframeOption,
    TzOption,
)

if TYPE_CHECKING:
    from marketdata import QualityConfig, QualityReport, RepairReport, WriteResult

data_app = typer.Typer(
    help="Market data: check files, import them into the catalog, list it, synthesize bars.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")


def _quality(calendar: str, timeframe: str | None, spike_k: float, gap_bars: int) -> QualityConfig:
    from marketdata import QualityConfig
    from marketdata.calendars import get_calendar

    get_calendar(calendar)  # reject an unknown calendar before reading a large file
    return QualityConfig(calendar=calendar, timeframe=timeframe, spike_k=spike_k, gap_bars=gap_bars)


def _instrument_calendar(path: Path, instrument: str | None) -> str:
    """The calendar of the file's instrument (GOOG.csv → XNYS); "fx" when the name is no
    instrument, as before instruments were defined (a check needs no definition)."""
    from marketdata.instruments import InstrumentError, resolve_file_instrument

    try:
        return resolve_file_instrument(path, instrument).calendar
    except InstrumentError:
        if instrument is not None:
            raise  # a name the user gave must resolve
        return "fx"


def _positive(value: float) -> float:
    if not value > 0:  # also refuses nan
        raise typer.BadParameter(f"must be > 0, got {value} (0 or less would flag every bar)")
    return value


def _busy(message: str) -> AbstractContextManager[Any]:
    """A spinner on stderr while a large file loads (rich draws nothing when not a terminal)."""
    return Console(stderr=True).status(message)


# `data check` only: no --calendar means the file's instrument's calendar.
InstrumentCalendarOption = Annotated[
    str | None,
    typer.Option(
        "--calendar",
        help="Session calendar for the gap check: fx, 24x7, none or an exchange (XNYS, ...); "
        "default: the instrument's (GOOG → XNYS), else fx.",
    ),
]


@data_app.command("check")
def check(
    path: DataFileArgument,
    calendar: InstrumentCalendarOption = None,
    instrument: Annotated[
        str | None, typer.Option(help="Instrument of the file (default: from its name).")
    ] = None,
    timeframe: TimeframeOption = None,
    fmt: FormatOption = None,
    tz: TzOption = None,
    date_format: DateFormatOption = None,
    spike_k: Annotated[
        float,
        typer.Option(
            "--spike-k", help="Spike threshold in local robust sigmas (> 0).", callback=_positive
        ),
    ] = 10.0,
    gap_bars: Annotated[
        int | None,
        typer.Option(
            "--gap-bars",
            min=0,
            help="Warn when more than this many bars are missing (>= 0; default 0 on an "
            "exchange calendar, where a missing session is a gap, else 1).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the quality checks on a file. Exit 0 when clean or warnings only, 2 on errors."""
    from marketdata import check_quality, load_bars_with_report
    from marketdata.calendars import ExchangeCalendar, get_calendar

    calendar = calendar or _instrument_calendar(path, instrument)
    if gap_bars is None:
        gap_bars = 0 if isinstance(get_calendar(calendar), ExchangeCalendar) else 1
    config = _quality(calendar, timeframe, spike_k, gap_bars)
    with _busy(f"checking {path}"):
        loaded = load_bars_with_report(
            path, check=False, fmt=fmt, tz=tz, timeframe=timeframe, date_format=date_format
        )
        report = check_quality(loaded.bars, source=str(path), config=config)
    if as_json:
        typer.echo(json.dumps({"format": loaded.format, **report.to_dict()}))
    else:
        _print_report(report, loaded.format)
    report.raise_for_errors()


def _print_report(report: QualityReport, fmt: str) -> None:
    from marketdata import RULES

    console = Console()
    console.print(
        f"[bold]{report.source}[/bold]: {report.rows} rows, format {fmt}, "
        f"timeframe {report.timeframe or '?'}, calendar {report.calendar}"
    )
    table = Table(show_header=True, header_style="bold")
    for column in ("rule", "severity", "rows", "first"):
        table.add_column(column)
    for rule, count in report.counts.items():
        if not count:
            continue
        first = next(issue for issue in report.issues if issue.rule == rule)
        style = "red" if RULES[rule].severity == "error" else "yellow"
        where = f"row {first.row} ({first.timestamp}): {first.detail}"
        table.add_row(
            RULES[rule].text, f"[{style}]{RULES[rule].severity}[/{style}]", str(count), where
        )
    if table.row_count:
        console.print(table)
    verdict = "[green]ok[/green]" if report.ok else "[red]rejected[/red]"
    console.print(f"{verdict}: {report.error_count} error(s), {report.warning_count} warning(s)")


@data_app.command("import")
def import_(
    path: DataFileArgument,
    instrument: Annotated[str, typer.Option("--instrument", help="Instrument name, e.g. EURUSD.")],
    timeframe: TimeframeOption = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Repair bad rows (reported) instead of rejecting.")
    ] = False,
    resample: Annotated[
        bool, typer.Option("--resample", help="Resample finer bars to --timeframe first.")
    ] = False,
    catalog: CatalogOption = None,
    calendar: CalendarOption = "fx",
    fmt: FormatOption = None,
    tz: TzOption = None,
    date_format: DateFormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load a file (quality-checked) and merge it into the Parquet catalog."""
    from marketdata import Catalog, load_bars_with_report, resample_bars

    if resample and timeframe is None:
        fail("--resample needs --timeframe (the bar length to resample to)")
    source_timeframe = None if resample else timeframe
    config = _quality(calendar, source_timeframe, 10.0, 1)
    with _busy(f"importing {path}"):
        loaded = load_bars_with_report(
            path,
            repair=repair,
            tz=tz,
            instrument=instrument,
            timeframe=source_timeframe,
            fmt=fmt,
            quality=config,
            date_format=date_format,
        )
        bars = resample_bars(loaded.bars, timeframe) if resample and timeframe else loaded.bars
        label = timeframe or bars.attrs.get("timeframe")
        if not label:
            fail(f"{path}: cannot infer the timeframe from fewer than two bars; pass --timeframe")
        result = Catalog(catalog).write(instrument, label, bars)
    _print_import(path, Catalog(catalog).root, len(loaded.bars), result, loaded.repair, as_json)
    warnings = loaded.quality.warning_count if loaded.quality else 0
    if warnings and not as_json:
        typer.echo(
            f"{warnings} warning(s), e.g. gaps: run `gauntlet data check {path}` for details"
        )


def _print_import(
    path: Path,
    root: Path,
    rows_read: int,
    result: WriteResult,
    repaired: RepairReport | None,
    as_json: bool,
) -> None:
    if as_json:
        payload = {
            "source": str(path),
            "catalog": str(root),
            "instrument": result.instrument,
            "timeframe": result.timeframe,
            "rows_read": rows_read,
            "rows_added": result.rows_added,
            "rows_replaced": result.rows_replaced,
            "rows_total": result.rows_total,
            "start": str(result.start),
            "end": str(result.end),
            "repair": repaired.to_dict() if repaired else None,
        }
        typer.echo(json.dumps(payload))
        return
    if repaired is not None:
        for line in repaired.lines():
            typer.echo(line)
    typer.echo(
        f"imported {path} → {root / result.instrument / result.timeframe}: "
        f"{rows_read} rows read, {result.rows_added} added, {result.rows_replaced} replaced, "
        f"{result.rows_total} in catalog; {result.start} → {result.end}"
    )


@data_app.command("list")
def list_(catalog: CatalogOption = None, as_json: JsonOption = False) -> None:
    """List the catalog: instruments, timeframes, rows and time ranges."""
    from marketdata import Catalog

    store = Catalog(catalog)
    entries = store.list()
    if as_json:
        rows = [
            {
                "instrument": e.instrument,
                "timeframe": e.timeframe,
                "rows": e.rows,
                "start": str(e.start),
                "end": str(e.end),
                "files": e.files,
            }
            for e in entries
        ]
        typer.echo(json.dumps({"catalog": str(store.root), "entries": rows}))
        return
    if not entries:
        typer.echo(f"catalog {store.root} is empty")
        return
    table = Table(title=f"catalog {store.root}")
    for column in ("instrument", "timeframe", "rows", "start", "end", "files"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            e.instrument, e.timeframe, str(e.rows), str(e.start), str(e.end), str(e.files)
        )
    Console().print(table)


@data_app.command("synth")
def synth(
    bars: Annotated[int, typer.Option("--bars", min=1, help="Number of bars.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv or .parquet.")],
    seed: Annotated[
        int,
        # numpy's generators take a non-negative seed; bounding it here makes a bad one exit 2.
        typer.Option("--seed", min=0, help="Random seed (same seed, same bars)."),
    ] = 0,
    timeframe: Annotated[str, typer.Option("--timeframe", help="Bar length.")] = "1h",
    instrument: Annotated[str, typer.Option("--instrument", help="Instrument name.")] = "EURUSD",
    start: Annotated[str, typer.Option("--start", help="First bar (UTC).")] = "2020-01-01",
    spread: Annotated[
        bool, typer.Option("--spread/--no-spread", help="Add a Spread column to CSV output.")
    ] = False,
) -> None:
    """Write deterministic synthetic bars (clearly labelled SYNTHETIC) to a file."""
    from marketdata import generate_bars, parse_timeframe

    parse_timeframe(timeframe)
    if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        fail(f"{out}: --out must end in .csv or .parquet")
    with _busy(f"generating {bars} bars"):
        frame = generate_bars(
            bars, seed=seed, timeframe=timeframe, instrument=instrument, start=start
        )
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            _write(frame, out, with_spread=spread)
        except OSError as exc:  # a file where a folder goes, a read-only place, a full disk
            fail(f"cannot write {out}: {exc.strerror or exc}")
    typer.echo(
        f"wrote {len(frame)} synthetic bars ({frame.attrs['instrument']}, {timeframe}, seed {seed}) "
        f"to {out}; {frame.index[0]} → {frame.index[-1]}"
    )


def _write(frame: Any, out: Path, *, with_spread: bool) -> None:
    import polars as pl

    if out.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(out)
        return
    columns = ["open", "high", "low", "close", "volume", *(["spread"] if with_spread else [])]
    table = pl.from_pandas(frame[columns].reset_index()).with_columns(
        pl.col("timestamp").dt.replace_time_zone(None), pl.col("volume").cast(pl.Int64)
    )
    table.columns = ["Date", *(name.capitalize() for name in columns)]
    # Polars writes 1M rows in well under a second; pandas' to_csv takes several.
    table.write_csv(out, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=5)
