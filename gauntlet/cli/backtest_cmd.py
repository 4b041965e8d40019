"""`gauntlet backtest`: one strategy on one data file → metrics table (or one JSON object).

stdout carries only the result (the rich table, or exactly one JSON object with --json);
progress and notes go to stderr. Heavy libraries are imported inside the command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from gauntlet.cli.account import simulation_overrides
from gauntlet.cli.app import app
from gauntlet.cli.costs import note_costs
from gauntlet.cli.options import (
    FILLS,
    AccountOption,
    AssetClassOption,
    CashOption,
    CommissionOption,
    CommissionPerUnitOption,
    DataOption,
    DateFormatOption,
    FillOption,
    FinancingLongOption,
    FinancingShortOption,
    InstrumentOption,
    InstrumentsFileOption,
    JsonOption,
    LongOnlyOption,
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
    StrategyOption,
    TrackingUriOption,
    TrackOption,
    check_tracking,
    choice,
    config_overrides,
    load_data,
    load_plugins,
    output_path,
    parse_params,
)

if TYPE_CHECKING:
    from research.engine.run import Engine

SIZE_MODES = ("equity", "units", "vol_target")
ENGINES = ("vectorized", "event")


@app.command("backtest")
def backtest_command(
    strategy: StrategyOption,
    data: DataOption,
    param: ParamOption = None,
    date_format: DateFormatOption = None,
    instrument: InstrumentOption = None,
    instruments_file: InstrumentsFileOption = None,
    asset_class: AssetClassOption = None,
    engine: Annotated[str, typer.Option(help="vectorized | event")] = "vectorized",
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
    size_mode: Annotated[str | None, typer.Option(help="equity | units | vol_target")] = None,
    units: Annotated[float | None, typer.Option(help="Units at |target| = 1 (units mode).")] = None,
    vol_target: Annotated[
        float | None, typer.Option(help="Annualized vol target (vol_target mode).")
    ] = None,
    vol_window: Annotated[int | None, typer.Option(help="Bars of realized vol.")] = None,
    max_leverage: Annotated[float | None, typer.Option(help="Cap on |scaled target|.")] = None,
    periods_per_year: Annotated[
        float | None, typer.Option(help="Bars per year (default: inferred from the data).")
    ] = None,
    round_units: Annotated[
        bool, typer.Option("--round-units", help="Round orders to whole units.")
    ] = False,
    long_only: LongOnlyOption = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report here.")
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option("--save", help="Save the result (JSON) for `gauntlet report` and reloading."),
    ] = None,
    track: TrackOption = False,
    tracking_uri: TrackingUriOption = None,
    plugin: PluginOption = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest a strategy on a data file and print its metrics."""
    choice(engine, ENGINES, "--engine")
    check_tracking(track, tracking_uri)
    definitions = (instruments_file, asset_class)
    overrides = config_overrides(
        fill=choice(fill, FILLS, "--fill"),
        size_mode=choice(size_mode, SIZE_MODES, "--size-mode"),
        cash=cash,
        units=units,
        vol_target=vol_target,
        vol_window=vol_window,
        max_leverage=max_leverage,
        periods_per_year=periods_per_year,
        round_units=round_units or None,
        direction="long_only" if long_only else None,
    ) | simulation_overrides(
        data, instrument, definitions, commission=commission,
        commission_per_unit=commission_per_unit, spread=spread, slippage=slippage,
        financing_long=financing_long, financing_short=financing_short,
        account=account, margin_initial=margin_initial, margin_maintenance=margin_maintenance,
        margin_call=margin_call, stop_out=stop_out, rebalance=rebalance,
        rebalance_threshold=rebalance_threshold,
    )  # fmt: skip
    output_path(report, "--report")
    output_path(save, "--save")
    load_plugins(plugin)
    params = parse_params(param)
    source = (data, date_format, instrument)
    result, bars = _run(strategy, params, source, engine, overrides, definitions)
    if report is not None:
        from research.report import write_report

        written = write_report(result, report)
        typer.echo(f"report: {written}", err=True)
    if save is not None:
        from research.saved import save_result

        typer.echo(f"saved: {save_result(result, bars['close'], save)}", err=True)
    note_costs(result.config.costs)  # after the run: bad input stays one error line
    payload = result.to_dict()
    if track:
        from research.tracking import log_backtest

        payload["mlflow_run_id"] = log_backtest(result, bars["close"], uri=tracking_uri)
        typer.echo(f"mlflow run: {payload['mlflow_run_id']}", err=True)
    if as_json:
        typer.echo(json.dumps(payload, allow_nan=False))
        return
    from rich.console import Console

    from gauntlet.cli.render import settings_caption

    index = result.equity.index
    traded = ", ".join(result.extras.get("instruments", []))  # the event engine's venue ids
    name = f"{data.name} as {traded}" if traded else data.name
    title = f"{name}: {len(index):,} bars, {index[0]:%Y-%m-%d} → {index[-1]:%Y-%m-%d}"
    table = result.summary(title=title)
    table.caption = settings_caption(result.config)  # costs (and where from), account
    Console().print(table)


def _run(
    strategy: str,
    params: dict[str, str],
    source: tuple[Path, str | None, str | None],
    engine: str,
    overrides: dict[str, Any],
    definitions: tuple[Path | None, str | None] = (None, None),
) -> tuple[Any, Any]:
    """(BacktestResult, the bars it ran on); `source`: (data file, --date-format,
    --instrument)."""
    from rich.console import Console

    from gauntlet.cli.instruments import engine_instrument
    from research.engine.run import resolve_config
    from strategies import plugins

    cls = plugins.get(strategy)  # unknown name → one line before any data is read
    config = resolve_config(None, overrides)
    data, date_format, instrument = source
    status = Console(stderr=True)
    with status.status(f"loading {data}"):
        bars = load_data(data, instrument, date_format)
        instrument = engine_instrument(engine, bars, data, instrument, *definitions)
    with status.status(f"backtesting {strategy} on {len(bars):,} bars ({engine})"):
        from research import backtest

        result = backtest(
            cls(**params),  # the class looked up above: no second registry lookup
            bars,
            config,  # resolved above: backtest() takes it as it is
            engine=cast("Engine", engine),  # checked against ENGINES by choice()
            instrument=instrument,
        )
    return result, bars
