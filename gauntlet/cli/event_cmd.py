"""Event-driven commands: `gauntlet check parity`, `gauntlet paper`, `gauntlet kill`.

NautilusTrader, vectorbt and the research stack are imported inside the commands so
`gauntlet --help` stays fast.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gauntlet.cli.account import simulation_overrides
from gauntlet.cli.app import app, check_app, fail
from gauntlet.cli.costs import note_costs
from gauntlet.cli.instruments import attach, traded_instrument
from gauntlet.cli.options import (
    FILLS,
    AccountOption,
    AssetClassOption,
    CashOption,
    CommissionOption,
    CommissionPerUnitOption,
    DateFormatOption,
    FinancingLongOption,
    FinancingShortOption,
    InstrumentsFileOption,
    JsonOption,
    MarginCallOption,
    MarginInitialOption,
    MarginMaintenanceOption,
    ParamOption,
    PluginOption,
    RebalanceOption,
    RebalanceThresholdOption,
    SlippageOption,
    SpreadOption,
    StopOutOption,
    choice,
    config_overrides,
    load_data,
    load_plugins,
    parse_params,
)

if TYPE_CHECKING:
    import pandas as pd
    from execution_engine.paper import PaperConfig
    from execution_engine.risk import RiskLimits

    from research.engine.config import BacktestConfig, Costs
    from research.parity import ParityReport
    from strategies.base import Strategy

RUNS_ROOT_ENV = "GAUNTLET_RUNS_DIR"
InstrumentOption = Annotated[
    str | None,
    typer.Option(help="Instrument of the data, e.g. EUR/USD or GOOG (default: from the file)."),
]


def runs_root() -> Path:
    return Path(os.environ.get(RUNS_ROOT_ENV, "runs")) / "paper"


def check_instrument(instrument: str | None) -> None:
    """An empty --instrument is a mistake, not "take it from the file" (omit the option)."""
    if instrument is not None and not instrument.strip():
        fail("--instrument must name an FX pair such as EUR/USD, got ''")


# -- parity -------------------------------------------------------------------------------


@check_app.command("parity")
def parity_command(
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Registered strategy name.")],
    data: Annotated[Path, typer.Option("--data", "-d", help="Bars file (CSV or Parquet).")],
    param: ParamOption = None,
    instrument: InstrumentOption = None,
    instruments_file: InstrumentsFileOption = None,
    asset_class: AssetClassOption = None,
    fill: Annotated[str, typer.Option(help="next_open | close")] = "next_open",
    commission: CommissionOption = None,
    commission_per_unit: CommissionPerUnitOption = None,
    spread: SpreadOption = None,
    slippage: SlippageOption = None,
    financing_long: FinancingLongOption = None,
    financing_short: FinancingShortOption = None,
    account: AccountOption = None,
    margin_initial: MarginInitialOption = None,
    margin_maintenance: MarginMaintenanceOption = None,
    margin_call: MarginCallOption = None,
    stop_out: StopOutOption = None,
    rebalance: RebalanceOption = None,
    rebalance_threshold: RebalanceThresholdOption = None,
    date_format: DateFormatOption = None,
    plugin: PluginOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the vectorized and the event-driven engine with matched settings; exit 1 when
    their trades differ or the equity difference exceeds the documented bound."""
    from research.engine.run import resolve_config
    from research.parity import check_parity
    from strategies import plugins

    choice(fill, FILLS, "--fill")
    check_instrument(instrument)
    load_plugins(plugin)
    built = plugins.create(strategy, **parse_params(param))
    simulated = simulation_overrides(
        data, instrument, (instruments_file, asset_class), commission=commission,
        commission_per_unit=commission_per_unit, spread=spread, slippage=slippage,
        financing_long=financing_long, financing_short=financing_short,
        account=account, margin_initial=margin_initial, margin_maintenance=margin_maintenance,
        margin_call=margin_call, stop_out=stop_out, rebalance=rebalance,
        rebalance_threshold=rebalance_threshold,
    )  # fmt: skip
    config = resolve_config(None, config_overrides(fill=fill) | simulated)
    bars = load_data(data, instrument, date_format)
    traded = traded_instrument(bars, data, instrument, instruments_file, asset_class)
    attach(bars, traded)
    report = check_parity(built, bars, config, instrument=traded.symbol)
    note_costs(config.costs)  # after the run: bad input stays one error line
    # Zero trades against zero trades compares nothing: that must not read as parity.
    compared = bool(report.trades_vectorized or report.trades_event)
    if as_json:
        payload = report.to_dict()
        if not compared:
            payload.update(ok=False, inconclusive=INCONCLUSIVE)
        typer.echo(json.dumps(payload, default=str))
    else:
        from rich.console import Console

        from gauntlet.cli.render import settings_caption

        table = parity_table(report)
        table.caption = settings_caption(config)
        Console().print(table)
    if not compared:
        typer.echo(f"parity: inconclusive: {INCONCLUSIVE}", err=True)
        raise typer.Exit(1)  # a check that could not pass, not bad input
    if not report.ok:
        raise typer.Exit(1)  # a failed check, not bad input


INCONCLUSIVE = "neither engine traded on this data, so no trade was compared"


def parity_table(report: ParityReport) -> Any:
    from rich.table import Table

    table = Table(title=f"Parity: {report.strategy['strategy']} on {', '.join(report.instruments)}")
    table.add_column("check", style="bold")
    table.add_column("vectorized", justify="right")
    table.add_column("event", justify="right")
    table.add_column("verdict")
    verdict = "[green]identical[/]" if report.trades_match else "[red]DIFFERENT[/]"
    table.add_row("trades", str(report.trades_vectorized), str(report.trades_event), verdict)
    for diff in report.differences[:20]:
        table.add_row(
            f"  trade {diff.trade} {diff.field}", diff.vectorized, diff.event, "[red]≠[/]"
        )
    within = abs(report.equity_difference) <= report.equity_bound
    table.add_row(
        "final equity",
        f"{report.final_equity_vectorized:,.2f}",
        f"{report.final_equity_event:,.2f}",
        f"{'[green]' if within else '[red]'}Δ {report.equity_difference:+.4f} "
        f"(bound ±{report.equity_bound:.4f})[/]",
    )
    return table


# -- paper --------------------------------------------------------------------------------


def parse_speed(speed: str) -> float:
    """'max' → 0 (as fast as possible); otherwise a positive, finite multiple of real time."""
    if speed.strip().lower() == "max":
        return 0.0
    try:
        value = float(speed)
    except ValueError:
        fail(f"--speed must be a positive number or 'max', got {speed!r}")
    if not (math.isfinite(value) and value > 0):
        fail(f"--speed must be a positive number or 'max', got {speed!r}")
    return value


# RiskLimits' field → the paper option that sets it, for the one error line.
RISK_OPTIONS = {
    "max_order_submit_rate": "--max-order-rate",
    "max_notional_per_order": "--max-notional",
}


def risk_limits(max_order_rate: str, max_notional: float) -> RiskLimits:
    """The risk engine's limits, checked (RiskLimits checks them) before the node starts."""
    from execution_engine.risk import RiskLimits, RiskLimitsError

    try:
        return RiskLimits(max_order_submit_rate=max_order_rate, max_notional_per_order=max_notional)
    except RiskLimitsError as exc:
        fail(f"{RISK_OPTIONS.get(exc.field, exc.field)} {exc.message}")


def check_run_folder(run_dir: Path) -> None:
    """A new paper run gets its own folder: never a file, never another run's folder (two
    sessions in one events.jsonl would be one wrong paper record)."""
    from execution_engine.paper.journal import STATUS_FILE

    try:
        existing = next(p for p in (run_dir, *run_dir.parents) if p.exists())
        has_run = (run_dir / STATUS_FILE).exists()
    except OSError as exc:  # e.g. a name too long: exists() raises instead of saying no
        fail(f"--out {run_dir} cannot be used: {exc.strerror}")
    if existing == run_dir and not run_dir.is_dir():
        fail(f"--out must be a folder, {run_dir} is a file")
    if not existing.is_dir():
        fail(f"--out {run_dir} cannot be created: {existing} is a file")
    if has_run:
        fail(f"--out {run_dir} already holds a paper run; choose a new folder")


@app.command("paper")
def paper_command(
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Registered strategy name.")],
    data: Annotated[Path, typer.Option("--data", "-d", help="Bars file replayed as the feed.")],
    speed: Annotated[str, typer.Option(help="1 (real time), 60, ... or max.")] = "max",
    param: ParamOption = None,
    instrument: InstrumentOption = None,
    instruments_file: InstrumentsFileOption = None,
    asset_class: AssetClassOption = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default runs/paper/<id>).")] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: end of data).")
    ] = None,
    cash: CashOption = None,
    commission: CommissionOption = None,
    commission_per_unit: CommissionPerUnitOption = None,
    spread: SpreadOption = None,
    slippage: SlippageOption = None,
    financing_long: FinancingLongOption = None,
    financing_short: FinancingShortOption = None,
    account: AccountOption = None,
    margin_initial: MarginInitialOption = None,
    margin_maintenance: MarginMaintenanceOption = None,
    margin_call: MarginCallOption = None,
    stop_out: StopOutOption = None,
    rebalance: RebalanceOption = None,
    rebalance_threshold: RebalanceThresholdOption = None,
    date_format: DateFormatOption = None,
    max_notional: Annotated[
        float, typer.Option(help="Risk engine: max notional per order (quote currency).")
    ] = 1_000_000.0,
    max_order_rate: Annotated[
        str, typer.Option(help="Risk engine: max submit rate, e.g. 100/00:00:01.")
    ] = "100/00:00:01",
    plugin: PluginOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary.")] = False,
) -> None:
    """Paper-trade a strategy: live TradingNode, simulated venue, replayed data."""
    from execution_engine.adapters.sandbox.providers import DEFINITION_ATTR, sim_instrument
    from execution_engine.paper import run_paper
    from rich.console import Console

    from research.engine.run import resolve_config
    from strategies import plugins

    pace = parse_speed(speed)
    check_instrument(instrument)
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        fail(f"--duration must be a positive number of seconds, got {duration}")
    # Cash, costs and the account mean what they mean in a backtest: one validation for both.
    given = simulation_overrides(
        data, instrument, (instruments_file, asset_class), commission=commission,
        commission_per_unit=commission_per_unit, spread=spread, slippage=slippage,
        financing_long=financing_long, financing_short=financing_short,
        account=account, margin_initial=margin_initial, margin_maintenance=margin_maintenance,
        margin_call=margin_call, stop_out=stop_out, rebalance=rebalance,
        rebalance_threshold=rebalance_threshold,
    )  # fmt: skip
    settings = resolve_config(None, config_overrides(cash=cash) | given)
    venue = paper_settings(settings, given)
    risk = risk_limits(max_order_rate, max_notional)
    run_dir = out or runs_root() / f"{strategy}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    check_run_folder(run_dir)
    load_plugins(plugin)
    built = plugins.create(strategy, **parse_params(param))
    bars = load_data(data, instrument, date_format)
    traded = traded_instrument(bars, data, instrument, instruments_file, asset_class)
    attach(bars, traded)
    name = traded.symbol
    sim_instrument(name, bars.attrs[DEFINITION_ATTR])  # fails here, before the node starts
    paper = paper_config(
        built, bars, name, run_dir, speed=pace, duration=duration, risk=risk, **venue,
    )  # fmt: skip
    console = Console()
    console.print(f"paper: {strategy} on {name}, {len(bars):,} bars at speed {speed} → {run_dir}")
    console.print(f"paper venue {venue_line(settings, venue)}")
    console.print(f"kill it with: gauntlet kill --run {run_dir}")
    result = run_paper(paper, echo=None if quiet else EventPrinter(console))
    console.print(
        f"{'stopped' if result.stopped_by else 'done'}: {result.orders} orders, "
        f"{result.fills} fills, {result.denied} denied, {result.rejected} rejected by the venue, "
        f"final equity {result.final_equity:,.2f}, trading state {result.trading_state}"
    )
    if result.stopped_by is None:
        note_costs(charged_costs(settings, venue))  # a finished session (a stopped one: not)
    if result.stopped_by is not None:
        # Stopped cleanly (summary and status written), but not finished: the shell's codes.
        typer.echo("gauntlet: interrupted", err=True)
        raise typer.Exit(STOP_EXIT_CODES.get(result.stopped_by, 1))


STOP_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}  # 128 + the signal's number


def paper_settings(settings: BacktestConfig, given: dict[str, Any]) -> dict[str, Any]:
    """The cash, cost and account fields of `settings` that PaperConfig takes (by the same
    names): the paper venue's account. An option the user gave for a field PaperConfig does
    not have yet is refused (one line, before the node starts) unless it is the default; an
    instrument's default cost it cannot charge is left out (the venue line names it)."""
    from execution_engine.paper import PaperConfig

    from gauntlet.cli.costs import from_instrument
    from research.engine.config import BacktestConfig

    values, defaults = simulated_fields(settings), simulated_fields(BacktestConfig())
    taken = set(PaperConfig.model_fields)
    unmodelled = [
        f"--{name.replace('_', '-')}"
        for name, value in given.items()
        if name not in taken and name not in from_instrument() and value != defaults[name]
    ]
    if unmodelled:
        modelled = ", ".join(name for name in values if name in taken)
        fail(f"{', '.join(unmodelled)}: the paper venue does not model it yet (it takes "
             f"{modelled}); drop it or use backtest/parity")  # fmt: skip
    return {name: value for name, value in values.items() if name in taken}


def simulated_fields(config: BacktestConfig) -> dict[str, Any]:
    """Cash, costs and account settings of `config`, flat, by their field names."""
    from research.promotion.spec import ACCOUNT_SETTINGS

    account = {name: getattr(config, name) for name in ACCOUNT_SETTINGS}
    return {"cash": config.cash, **config.costs.model_dump(), **account}


def charged_costs(settings: BacktestConfig, venue: dict[str, Any]) -> Costs:
    """The costs the paper venue charges: those of `settings` PaperConfig takes."""
    from research.engine.config import Costs

    return Costs(**{name: value for name, value in venue.items() if name in Costs.model_fields})


def venue_line(settings: BacktestConfig, venue: dict[str, Any]) -> str:
    """What the paper venue charges and how its account works; the settings it leaves out."""
    from gauntlet.cli.costs import labelled
    from research.engine.config import BacktestConfig

    defaults = simulated_fields(BacktestConfig())
    dropped = [name for name, value in simulated_fields(settings).items()
               if name not in venue and value != defaults[name]]  # fmt: skip
    line = labelled(charged_costs(settings, venue))
    if "account" in venue:
        line += f"; {settings.describe_account()}"
    return line + (f" (not modelled: {', '.join(dropped)})" if dropped else "")


def paper_config(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    instrument: str,
    run_dir: Path,
    **session: Any,
) -> PaperConfig:
    """A single-instrument paper session of `strategy` replaying `bars` as the live feed;
    `session` holds PaperConfig's pacing, account and risk fields (speed, cash, risk, ...)."""
    import pandas as pd
    from execution_engine.host import GauntletHostConfig
    from execution_engine.paper import PAPER_WINDOW, PaperConfig

    from research.metrics import calendar_of, periods_per_year

    host = GauntletHostConfig(
        strategy_name=strategy.name,
        strategy_params=strategy.params.model_dump(),
        window=PAPER_WINDOW,
        execute_at="bar_close",
        periods_per_year=periods_per_year(pd.DatetimeIndex(bars.index), calendar_of(bars)),
    )
    return PaperConfig(
        host=host, frames={instrument: bars}, instrument_names={instrument: instrument},
        panel=False, run_dir=run_dir, **session,
    )  # fmt: skip


class EventPrinter:
    """One line per order, fill, report or state change; position and P&L after each fill."""

    def __init__(self, console: Any) -> None:
        self._console = console
        self._filled = False

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "mark":
            if self._filled:
                self._filled = False
                self._console.print(
                    f"  position {event['positions']}  equity {event['equity']:,.2f}"
                )
            return
        if kind == "order":
            self._console.print(
                f"[cyan]order[/] {event['client_order_id']} {event['side']} "
                f"{event['quantity']} {event['instrument']} (target {event['target']:+.2f})"
            )
        elif kind == "fill":
            self._filled = True
            self._console.print(
                f"[green]fill[/]  {event['client_order_id']} {event['side']} "
                f"{event['quantity']:,.0f} @ {event['price']}"
            )
        else:
            detail = event.get("reason") or event.get("message") or event.get("state") or ""
            self._console.print(f"[yellow]{kind}[/] {event.get('client_order_id') or ''} {detail}")


# -- kill ---------------------------------------------------------------------------------

LIVE_ROOT_ENV = "GAUNTLET_LIVE_DIR"


def live_root() -> Path:
    """Where `gauntlet live start` keeps each spec's state folder (one per spec name)."""
    return Path(os.environ.get(LIVE_ROOT_ENV, str(Path(".gauntlet") / "live")))


@app.command("kill")
def kill_command(
    run: Annotated[
        Path | None,
        typer.Option(
            help="Paper run folder or live state folder (default: the newest running node)."
        ),
    ] = None,
    state: Annotated[str, typer.Option(help="HALTED (default), REDUCING or ACTIVE.")] = "HALTED",
    flatten: Annotated[
        bool,
        typer.Option("--flatten", help="Close every position (reduce-only orders), then HALTED."),
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the node to acknowledge.")
    ] = 5.0,
) -> None:
    """Move a running node (paper or live) to HALTED (or another trading state): applied
    before the strategy's next decision, and between bars within a fraction of a second.
    With --flatten the node first closes every position through the risk engine (REDUCING),
    then halts, and the command lists what was closed.

    Exit 0 only once the node itself acknowledged the request (and, with --flatten, is
    flat); a folder that is not a node's, a finished or crashed run, no acknowledgement in
    time, or positions left open is exit 2, saying which."""
    from execution_engine.live.flatten import FLATTEN_TIMEOUT
    from execution_engine.paper.control import KillError, newest_running, request_state
    from execution_engine.risk import STATES

    wanted = state.upper()
    if wanted not in STATES:
        fail(f"--state must be one of {', '.join(STATES)}, got {state!r}")
    if flatten and wanted != "HALTED":
        fail(f"--flatten ends HALTED; it does not go with --state {wanted}")
    if not (math.isfinite(timeout) and timeout > 0):
        fail(f"--timeout must be a positive number of seconds, got {timeout}")
    wait = timeout + FLATTEN_TIMEOUT if flatten else timeout  # the closing orders must fill
    try:
        target = run or newest_running(runs_root(), live_root())
        ack = request_state(target, wanted, wait, flatten=flatten)
    except KillError as exc:
        fail(str(exc))
    typer.echo(
        f"kill: {ack.run_dir} → {ack.state}, acknowledged by node {ack.node.trader_id} "
        f"(pid {ack.node.pid}) in {ack.waited:.2f} s"
    )
    if flatten:
        report_flatten(ack.status.get("flatten"), ack.control.get("token"))


def report_flatten(report: Any, token: Any) -> None:
    """What the node's flatten (status.json's `flatten`, written before the node
    acknowledged the request `token`) closed; exit 2 when it could not close everything."""
    if not isinstance(report, dict) or report.get("token") != token:
        fail("the node halted but cannot flatten (a paper node without a flattener): "
             "its positions are still open")  # fmt: skip
    for row in report.get("closed", []):
        typer.echo(f"  closed: {row['side']} {row['quantity']} {row['instrument']}")
    if not report.get("closed"):
        typer.echo("  nothing to close: the node was already flat")
    left = report.get("left_open") or []
    if report.get("problem") or left:
        still = ", ".join(f"{r['instrument']} {r['quantity']}" for r in left) or "none"
        fail(
            f"flatten incomplete: {report.get('problem') or 'positions left'}; still open: {still}"
        )
