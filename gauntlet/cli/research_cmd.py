"""`gauntlet sweep`, `gauntlet walkforward`, `gauntlet check lookahead`, `gauntlet report`.

stdout carries only the result (a rich table, or exactly one JSON object with --json);
progress bars and notes go to stderr. Heavy libraries are imported inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from gauntlet.cli.account import simulation_overrides
from gauntlet.cli.app import app, check_app, fail, report_interrupted
from gauntlet.cli.costs import note_costs
from gauntlet.cli.instruments import research_instrument
from gauntlet.cli.options import (
    METHODS,
    AccountOption,
    AssetClassOption,
    CashOption,
    ChunkOption,
    CommissionOption,
    CommissionPerUnitOption,
    DataOption,
    DateFormatOption,
    FillOption,
    FinancingLongOption,
    FinancingShortOption,
    FixedParamOption,
    GridOption,
    InstrumentOption,
    InstrumentsFileOption,
    JsonOption,
    LongOnlyOption,
    MarginCallOption,
    MarginInitialOption,
    MarginMaintenanceOption,
    MaxCombosOption,
    MethodOption,
    PluginOption,
    RebalanceOption,
    RebalanceThresholdOption,
    SchedulerOption,
    SlippageOption,
    SpreadOption,
    StopOutOption,
    StrategyOption,
    TrackingUriOption,
    TrackOption,
    WorkersOption,
    check_tracking,
    choice,
    config_overrides,
    load_data,
    load_plugins,
    output_path,
    parse_params,
)
from gauntlet.cli.render import cell, frame_table, settings_caption

MODES = ("rolling", "anchored")

# Options shared by the search commands.
SeedOption = Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed.")]
NIterOption = Annotated[int, typer.Option(min=1, help="Draws for random / trials for optuna.")]
MinTradesOption = Annotated[
    int,
    typer.Option(min=0, help="Rank only combinations with at least this many trades (others "
                 "are listed apart, grey in the heatmap)."),
]  # fmt: skip


def _space(grid: list[str] | None) -> dict[str, Any]:
    from research.sweep import parse_dimension

    if not grid:
        fail("give at least one --grid name=values to sweep")
    space: dict[str, Any] = {}
    for text in grid:
        name, dim = parse_dimension(text)
        if name in space:
            fail(f"--grid {name} given more than once ({text!r} again): give one --grid per name")
        space[name] = dim
    return space


def _check_search(strategy: str, space: dict[str, Any], settings: Any) -> None:
    """Before any data is read: the search is not too big (a grid is counted, not built), and
    a big one is announced on stderr."""
    from research.sweep.settings import WARN_COMBOS
    from research.sweep.space import check_size, count_combinations

    grid = settings.method == "grid"
    count = count_combinations(space) if grid else settings.n_iter
    what = "combinations" if grid else f"{settings.method} trials"
    check_size(count, settings.max_combos, what)
    if count > WARN_COMBOS:
        typer.echo(
            f"gauntlet: warning: {count:,} {what} (over {WARN_COMBOS:,}): this may take long "
            f"and fill the memory of the workers ({strategy})",
            err=True,
        )


def _config(fill: str | None, settings: dict[str, Any], cash: float | None,
            long_only: bool) -> Any:  # fmt: skip
    """The BacktestConfig of every simulation of the search (`settings`: what
    simulation_overrides gave)."""
    from research.engine.run import resolve_config

    return resolve_config(None, config_overrides(
        fill=fill, cash=cash, direction="long_only" if long_only else None,
    ) | settings)  # fmt: skip


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, allow_nan=False, default=str))


@app.command("sweep")
def sweep_command(
    strategy: StrategyOption,
    data: DataOption,
    grid: GridOption = None,
    param: FixedParamOption = None,
    method: MethodOption = "grid",
    n_iter: NIterOption = 50,
    seed: SeedOption = 0,
    metric: Annotated[str, typer.Option(help="Sort by (and optimize) this metric.")] = "sharpe",
    top: Annotated[int, typer.Option(min=1, help="Rows to show.")] = 10,
    chunk_size: ChunkOption = 16,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    max_combos: MaxCombosOption = None,
    instrument: InstrumentOption = None,
    instruments_file: InstrumentsFileOption = None,
    asset_class: AssetClassOption = None,
    fill: FillOption = None,
    commission: CommissionOption = None,
    commission_per_unit: CommissionPerUnitOption = None,
    spread: SpreadOption = None,
    slippage: SlippageOption = None,
    financing_long: FinancingLongOption = None,
    financing_short: FinancingShortOption = None,
    cash: CashOption = None,
    account: AccountOption = None,
    margin_initial: MarginInitialOption = None,
    margin_maintenance: MarginMaintenanceOption = None,
    margin_call: MarginCallOption = None,
    stop_out: StopOutOption = None,
    rebalance: RebalanceOption = None,
    rebalance_threshold: RebalanceThresholdOption = None,
    long_only: LongOnlyOption = False,
    min_trades: MinTradesOption = 0,
    date_format: DateFormatOption = None,
    out: Annotated[Path | None, typer.Option(help="Write the full table (CSV) here.")] = None,
    heatmap: Annotated[
        Path | None, typer.Option(help="Write a heatmap (HTML) of 2 params.")
    ] = None,
    track: TrackOption = False,
    tracking_uri: TrackingUriOption = None,
    plugin: PluginOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a strategy over a parameter grid / random draws / Optuna trials."""
    from research.sweep import SweepSettings, sweep
    from research.sweep.executor import scheduler_address
    from research.sweep.metrics import check_metric
    from strategies import plugins

    choice(method, METHODS, "--method")
    output_path(out, "--out")
    output_path(heatmap, "--heatmap")
    load_plugins(plugin)
    plugins.get(strategy)
    space = _space(grid)
    check_metric(metric, also=tuple(space))  # a table may be sorted by a swept parameter
    if heatmap is not None and len(space) != 2:
        fail(f"--heatmap needs exactly 2 swept parameters, got {len(space)}")
    scheduler_address(scheduler)
    simulated = simulation_overrides(
        data, instrument, (instruments_file, asset_class), commission=commission,
        commission_per_unit=commission_per_unit, spread=spread, slippage=slippage,
        financing_long=financing_long, financing_short=financing_short,
        account=account, margin_initial=margin_initial, margin_maintenance=margin_maintenance,
        margin_call=margin_call, stop_out=stop_out, rebalance=rebalance,
        rebalance_threshold=rebalance_threshold,
    )  # fmt: skip
    config = _config(fill, simulated, cash, long_only)
    settings = SweepSettings(
        method=method,
        n_iter=n_iter,
        seed=seed,
        fixed=parse_params(param),
        config=config,
        chunk_size=chunk_size,
        workers=workers,
        scheduler=scheduler,
        metric=metric,
        progress=sys.stderr.isatty(),
        **config_overrides(max_combos=max_combos),  # not given: SweepSettings' default
    )
    _check_search(strategy, space, settings)
    check_tracking(track, tracking_uri)
    bars = load_data(data, instrument, date_format)
    research_instrument(bars, data, instrument, instruments_file, asset_class)
    result = sweep(strategy, bars, space, settings)
    result.sorted(metric)  # unknown metric → one line before anything is written
    note_costs(result.costs)  # after the run: bad input stays one error line
    if out is not None and result.completed:
        result.sorted(metric).drop(columns=["params"]).to_csv(out, index=False)
    if heatmap is not None:
        x, y = list(space)
        figure = result.heatmap(x, y, metric, min_trades=min_trades, data=data.name)
        figure.write_html(heatmap, include_plotlyjs="inline")
    payload = result.to_dict(metric, top, min_trades)
    if track and result.completed:
        from research.tracking import log_sweep

        payload["mlflow_run_id"] = log_sweep(result, metric=metric, uri=tracking_uri)
    _report_sweep(result, payload, (metric, top, min_trades), data.name, as_json,
                  caption=settings_caption(config))  # fmt: skip
    if result.interrupted:  # Ctrl-C or SIGTERM: the finished part was reported above
        report_interrupted(f"kept {result.completed} of {result.total} combinations")


def _report_sweep(
    result: Any, payload: dict[str, Any], ranking: tuple[str, int, int], data: str,
    as_json: bool, caption: str,
) -> None:  # fmt: skip
    """`ranking`: (metric, rows shown, minimum trades to be ranked); `caption`: the costs and
    account settings line."""
    metric, top, min_trades = ranking
    if result.rejected:
        typer.echo(f"skipped {len(result.rejected)} parameter sets the strategy rejects "
                   f"(e.g. {result.rejected[0][1]})", err=True)  # fmt: skip
    if as_json:
        _emit(payload)
        return
    if not result.completed:
        typer.echo("no combination finished", err=True)
        return
    cols = [*result.param_names, "trades", "total_return", "sharpe", "sortino", "max_drawdown"]
    if metric not in cols:
        cols.append(metric)
    title = (f"{result.strategy} on {data}: {result.completed}/{result.total} combinations, "
             f"by {metric}")  # fmt: skip
    table = frame_table(result.sorted(metric, min_trades=min_trades)[cols].head(top), title)
    everything = result.sorted(metric)
    thin = everything[~result.eligible(min_trades).loc[everything.index]]
    for row in thin[cols].head(top).itertuples(index=False):  # listed apart, greyed
        table.add_row(*(cell(v) for v in row), style="dim")
    note = (
        f"; {len(thin)} with fewer than {min_trades} trades not ranked (grey)" if len(thin) else ""
    )
    table.caption = caption + note
    Console().print(table)


@app.command("walkforward")
def walkforward_command(
    strategy: StrategyOption,
    data: DataOption,
    grid: GridOption = None,
    param: FixedParamOption = None,
    folds: Annotated[int, typer.Option(min=1, help="Out-of-sample folds.")] = 5,
    mode: Annotated[str, typer.Option(help="rolling | anchored")] = "rolling",
    ratio: Annotated[int, typer.Option(min=1, help="In-sample length / out-of-sample length.")] = 3,
    metric: Annotated[str, typer.Option(help="In-sample selection metric.")] = "sharpe",
    method: MethodOption = "grid",
    n_iter: NIterOption = 50,
    seed: SeedOption = 0,
    chunk_size: ChunkOption = 16,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    max_combos: MaxCombosOption = None,
    instrument: InstrumentOption = None,
    instruments_file: InstrumentsFileOption = None,
    asset_class: AssetClassOption = None,
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
    equity_out: Annotated[
        Path | None, typer.Option(help="Write stitched OOS equity (CSV).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report (per-fold table).")
    ] = None,
    track: TrackOption = False,
    tracking_uri: TrackingUriOption = None,
    plugin: PluginOption = None,
    as_json: JsonOption = False,
) -> None:
    """Optimize in-sample and evaluate out-of-sample, fold by fold; stitched OOS equity."""
    from research.sweep import SweepSettings
    from research.sweep.executor import scheduler_address
    from research.sweep.metrics import check_metric
    from research.walkforward import walk_forward
    from strategies import plugins

    choice(method, METHODS, "--method")
    choice(mode, MODES, "--mode")
    check_metric(metric)
    output_path(equity_out, "--equity-out")
    output_path(report, "--report")
    load_plugins(plugin)
    plugins.get(strategy)
    space = _space(grid)
    scheduler_address(scheduler)
    simulated = simulation_overrides(
        data, instrument, (instruments_file, asset_class), commission=commission,
        commission_per_unit=commission_per_unit, spread=spread, slippage=slippage,
        financing_long=financing_long, financing_short=financing_short,
        account=account, margin_initial=margin_initial, margin_maintenance=margin_maintenance,
        margin_call=margin_call, stop_out=stop_out, rebalance=rebalance,
        rebalance_threshold=rebalance_threshold,
    )  # fmt: skip
    config = _config(None, simulated, None, False)
    settings = SweepSettings(
        method=method,
        n_iter=n_iter,
        seed=seed,
        fixed=parse_params(param),
        config=config,
        chunk_size=chunk_size,
        workers=workers,
        scheduler=scheduler,
        metric=metric,
        **config_overrides(max_combos=max_combos),  # not given: SweepSettings' default
    )
    _check_search(strategy, space, settings)
    check_tracking(track, tracking_uri)
    bars = load_data(data, instrument, date_format)
    research_instrument(bars, data, instrument, instruments_file, asset_class)
    result = walk_forward(strategy, bars, space, settings, n_folds=folds, mode=mode, ratio=ratio)
    note_costs(result.costs)
    if equity_out is not None:
        result.oos_equity.to_csv(equity_out)
    title = f"{strategy} on {data.name}: walk-forward ({mode}, {folds} folds)"
    if report is not None:
        from research.walkforward_report import write_walkforward_report

        typer.echo(f"report: {write_walkforward_report(result, report, title)}", err=True)
    payload = result.to_dict()
    if track:
        from research.tracking import log_walkforward

        payload["mlflow_run_id"] = log_walkforward(result, uri=tracking_uri)
    if as_json:
        _emit(payload)
        return
    from research.walkforward_report import stitched_summary, walkforward_table

    table = walkforward_table(result, title)
    table.caption = settings_caption(config)  # with the account settings
    Console().print(table)
    typer.echo(stitched_summary(result))


@check_app.command("lookahead")
def lookahead_command(
    strategy: StrategyOption,
    data: DataOption,
    param: FixedParamOption = None,
    cuts: Annotated[int, typer.Option(min=1, help="Truncation points to test.")] = 20,
    seed: SeedOption = 0,
    instrument: InstrumentOption = None,
    date_format: DateFormatOption = None,
    plugin: PluginOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-run the strategy on truncated histories; exit 1 if any target changes (a leak)."""
    from research.lookahead import check_lookahead
    from strategies import plugins

    load_plugins(plugin)
    built = plugins.create(strategy, **parse_params(param))
    bars = load_data(data, instrument, date_format)
    report = check_lookahead(built, bars, n_cuts=cuts, seed=seed)
    if as_json:
        _emit(report.to_dict())
    first = report.first_leak
    if first is None:
        if not as_json:
            typer.echo(f"{strategy}: no look-ahead found at {len(report.cuts)} cut points")
        return
    typer.echo(
        f"gauntlet: look-ahead: {strategy} target at bar {first.first_bar} ({first.first_time}) "
        f"changes when the bars after bar {first.cut} are added: {first.change()} "
        f"(truncated → full history; {len(report.leaks)} of {len(report.cuts)} cuts leak)",
        err=True,
    )
    raise typer.Exit(1)  # a failed check, not bad input


@app.command("report")
def report_command(
    run: Annotated[str, typer.Argument(help="MLflow run id, or a saved result file (.json).")],
    out: Annotated[Path, typer.Option(help="Tearsheet HTML path.")] = Path("tearsheet.html"),
    png: Annotated[Path | None, typer.Option(help="Also write a PNG tearsheet here.")] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the tearsheet of a logged backtest (MLflow run) or a saved result file."""
    import tempfile

    from research.saved import load_result
    from research.tearsheet import write_tearsheet

    output_path(out, "--out")
    output_path(png, "--png")
    source = Path(run)
    with tempfile.TemporaryDirectory() as tmp:
        if source.suffix == ".json" or source.exists():
            result, close = load_result(source)
        else:
            from research.tracking import download_result

            result, close = load_result(download_result(run, Path(tmp), uri=tracking_uri))
    written = write_tearsheet(result, close, out, png)
    if as_json:
        _emit({"run": run, "html": str(written), "png": None if png is None else str(png),
               **result.to_dict()})  # fmt: skip
        return
    typer.echo(f"tearsheet: {written}" + (f", {png}" if png else ""))
