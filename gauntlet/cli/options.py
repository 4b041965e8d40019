"""Options and option handling shared by several commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        help="Module (dotted name or .py file) registering extra strategies; repeatable. "
        "Also read from GAUNTLET_STRATEGY_MODULES (comma-separated).",
    ),
]

FILLS = ("next_open", "close")
METHODS = ("grid", "random", "optuna")

# What to run, on what.
StrategyOption = Annotated[str, typer.Option("--strategy", "-s", help="Registered strategy name.")]
DataOption = Annotated[Path, typer.Option("--data", "-d", help="Bars file (CSV or Parquet).")]


def _instrument_name(value: str | None) -> str | None:
    """A given --instrument must name something: blank would fall back to the file's own
    instrument without a word."""
    if value is not None and (not value.strip() or not value.isprintable()):
        raise typer.BadParameter(f"{value!r} is not an instrument name", param_hint="--instrument")
    return value


InstrumentOption = Annotated[
    str | None, typer.Option(help="Instrument name of the data.", callback=_instrument_name)
]
InstrumentsFileOption = Annotated[
    Path | None,
    typer.Option("--instruments", help="YAML instrument definitions (beside the built-in ones)."),
]
AssetClassOption = Annotated[
    str | None,
    typer.Option(help="fx | equity | future | cfd | crypto | index: for an undefined instrument."),
]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Strategy parameter key=value.")
]
FixedParamOption = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Fixed strategy parameter key=value.")
]

# Backtest settings shared by the commands that simulate (None: the BacktestConfig default).
FillOption = Annotated[str | None, typer.Option(help="next_open (default) | close")]
# Costs: one definition for backtest, sweep, walkforward, check parity and paper; texts with
# units, turned into the config's units by gauntlet.cli.costs.cost_overrides. Default: zero.
CommissionOption = Annotated[
    str | None,
    typer.Option(
        metavar="FRACTION|BPS|%",
        help="Fraction of notional (0.00005), or 0.5bps, 0.005%. Default 0.",
    ),
]
CommissionPerUnitOption = Annotated[
    str | None, typer.Option(metavar="AMOUNT", help="Currency per unit traded. Default 0.")
]
SpreadOption = Annotated[
    str | None,
    typer.Option(
        metavar="PRICE|PIPS",
        help="Full bid/ask spread: price units (0.00012) or pips (1.2pips). Default 0.",
    ),
]
SlippageOption = Annotated[
    str | None,
    typer.Option(
        metavar="FRACTION|BPS|%", help="Fraction of price (0.0001), or 1bps, 0.01%. Default 0."
    ),
]
FinancingLongOption = Annotated[
    str | None,
    typer.Option(
        metavar="RATE|BPS|%", help="Annual rate paid on longs (0.02, 200bps, 2%). Default 0."
    ),
]
FinancingShortOption = Annotated[
    str | None,
    typer.Option(
        metavar="RATE|BPS|%", help="Annual rate paid on shorts (0.02, 200bps, 2%). Default 0."
    ),
]
CashOption = Annotated[float | None, typer.Option(help="Starting cash.")]
LongOnlyOption = Annotated[bool, typer.Option("--long-only", help="Treat shorts as flat.")]
# Account and rebalancing (ADR 0002 §12-§13): one definition for every simulating command,
# turned into BacktestConfig fields by gauntlet.cli.account.account_overrides and validated
# there (resolve_config). Default: the BacktestConfig's (margin account, no rebalancing).
AccountOption = Annotated[
    str | None,
    typer.Option(
        metavar="margin|cash",
        help="margin (default: margins, margin calls, stop-out) | cash (no shorts, no "
        "leverage, costs reserved: cash never below 0).",
    ),
]
MarginInitialOption = Annotated[
    str | None,
    typer.Option(
        metavar="FRACTION|%",
        help="Initial margin, a fraction of notional (0.03, 3%; ≈ 33:1). Default: the "
        "instrument's (1 when undefined).",
    ),
]
MarginMaintenanceOption = Annotated[
    str | None,
    typer.Option(
        metavar="FRACTION|%",
        help="Maintenance margin, a fraction of notional (0.03, 3%). Default: the instrument's.",
    ),
]
MarginCallOption = Annotated[
    float | None,
    typer.Option(
        metavar="PERCENT",
        help="Margin level (100·equity / used margin) below which a margin call is counted. "
        "Default 100.",
    ),
]
StopOutOption = Annotated[
    float | None,
    typer.Option(
        metavar="PERCENT",
        help="Margin level below which every position is liquidated; below --margin-call. Default 50.",
    ),
]
RebalanceOption = Annotated[
    str | None,
    typer.Option(
        metavar="off|every_bar|drift",
        help="off (default: trade when the target changes) | every_bar | drift (when the "
        "weight strays from the target by more than --rebalance-threshold).",
    ),
]
RebalanceThresholdOption = Annotated[
    str | None,
    typer.Option(
        metavar="FRACTION|%",
        help="Drift that triggers a rebalance, a fraction of equity (0.05, 5%). Default 0.05.",
    ),
]

# Search settings shared by `sweep` and `walkforward`.
GridOption = Annotated[
    list[str] | None,
    typer.Option(
        "--grid", "-g",
        help="Swept parameter: name=v1,v2,... or name=low:high[:step] (inclusive); repeatable.",
    ),
]  # fmt: skip
MethodOption = Annotated[str, typer.Option(help="grid | random | optuna")]
ChunkOption = Annotated[int, typer.Option(min=1, help="Combinations per chunk (memory bound).")]
WorkersOption = Annotated[int | None, typer.Option(min=1, help="Local worker processes.")]
MaxCombosOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Refuse a search of more combinations (grid size, or draws/trials) than this "
        "(default 100,000; a warning past 10,000).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address (tcp://host:port); env GAUNTLET_DASK_SCHEDULER."),
]

# Market-data files and the catalog (`gauntlet data ...`).
DataFileArgument = Annotated[
    Path, typer.Argument(help="CSV, Parquet, MetaTrader 5 or HistData file.")
]
CalendarOption = Annotated[
    str, typer.Option("--calendar", help="Session calendar for the gap check: fx, 24x7 or none.")
]
FormatOption = Annotated[
    str | None,
    typer.Option("--format", help="Force the file format (csv, parquet, mt5, histdata_m1, ...)."),
]
TzOption = Annotated[
    str | None,
    typer.Option("--tz", help="Zone of naive timestamps (default: UTC; HistData: EST)."),
]
DateFormatOption = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="Timestamps' strftime format, e.g. %d/%m/%Y %H:%M (default: detected; required "
        "when slash dates read both day- and month-first).",
    ),
]
TimeframeOption = Annotated[
    str | None,
    typer.Option("--timeframe", help="Bar length, e.g. 1m, 1h, 1d (default: inferred)."),
]
CatalogOption = Annotated[
    Path | None,
    typer.Option(
        "--catalog", help="Catalog root (default: $GAUNTLET_CATALOG or ~/.gauntlet/catalog)."
    ),
]

# Output and tracking.
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
TrackOption = Annotated[bool, typer.Option("--track", help="Log the run to MLflow.")]
TrackingUriOption = Annotated[
    str | None,
    typer.Option(help="MLflow tracking URI or store directory (default .gauntlet/mlruns)."),
]


def load_plugins(modules: list[str] | None) -> None:
    """Import --plugin modules, then GAUNTLET_STRATEGY_MODULES'; whatever is wrong with one
    (missing, does not parse, raises, takes a taken name) is one PluginError line."""
    from gauntlet.cli.app import fail
    from strategies import plugins

    specs = list(modules or [])
    if any(not spec.strip() for spec in specs):
        fail("--plugin needs a module name or a .py file, got an empty value")
    env = os.environ.get("GAUNTLET_STRATEGY_MODULES", "")
    specs += [s.strip() for s in env.split(",") if s.strip()]
    for spec in specs:
        plugins.load_module(spec.strip())


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """`--param fast=10 --param slow=50` → {"fast": "10", "slow": "50"} (pydantic coerces);
    a key given twice is refused (the last one silently won)."""
    from gauntlet.cli.app import fail

    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            fail(f"--param expects key=value, got {pair!r}")
        if key in out:
            fail(f"--param {key} given twice ({out[key]!r} and {value!r}): give it once")
        out[key] = value
    return out


def output_path(path: Path | None, option: str) -> Path | None:
    """An output file of a command, checked before any computing; its folder is created.

    The one rule for every command's outputs: missing parent folders are created (as
    `backtest --report` always did); a parent that is a file, or an output that is a folder,
    is bad input."""
    if path is None:
        return None
    from gauntlet.cli.app import fail

    if path.is_dir():
        fail(f"{option} {path} is a folder: give a file path")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                fail(f"{option} {path}: {parent} is not a folder")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{option} {path}: cannot create its folder: {exc.strerror or exc}")
    return path


def choice(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    """`value` if it is one of `allowed` (None passes: the option was not given)."""
    if value is not None and value not in allowed:
        from gauntlet.cli.app import fail

        fail(f"{option} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def config_overrides(**options: Any) -> dict[str, Any]:
    """The options the user actually gave, as BacktestConfig / Costs field overrides."""
    return {key: value for key, value in options.items() if value is not None}


def check_tracking(track: bool, uri: str | None) -> None:
    """With --track, an unwritable store or unreachable server fails before any compute."""
    if track:
        from research.tracking import resolve_uri

        resolve_uri(uri)


def load_data(path: Path, instrument: str | None, date_format: str | None = None) -> pd.DataFrame:
    """A bars file, quality-checked (bad data is one error line naming file, row and rule)."""
    from marketdata import load_bars

    return load_bars(path, instrument=instrument, date_format=date_format)


def require_port(port: int, *, any_free: bool = True) -> None:
    """--port must be a TCP port; 0 (the OS picks a free one) only where `any_free`."""
    from gauntlet.cli.app import fail

    lowest = 0 if any_free else 1
    if not lowest <= port <= 65_535:
        fail(f"--port {port} is not a TCP port ({lowest}-65535)")
