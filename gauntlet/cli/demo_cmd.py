"""`gauntlet demo`: the main job. A newcomer's first look at what Gauntlet does.

It runs with no services and no network: synthetic (clearly labelled) or user-supplied data
→ several strategies → vectorized backtests → metrics → one self-contained HTML report →
a parameter sweep and a walk-forward validation → the same strategy event-driven on
NautilusTrader with a parity check against the vectorized run → a short paper-trading
session on a live TradingNode → promotion: a spec goes research → candidate → paper through
evidence gates into the registry (embedded PostgreSQL + MLflow), and another is refused with
its reason → live trading: the promoted strategy traded by a TradingNode on the OANDA v20
simulator (or MetaTrader 5, or FIX: --venue), killed, reconciled by a restarted node, and
its recorded session replayed as a backtest with the same bars and decisions. Each capability is a
chapter here (see `CHAPTERS`), so the demo always shows the newest thing Gauntlet can do.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from gauntlet.cli.app import app
from gauntlet.cli.options import choice
from gauntlet.cli.render import COMPACT_COLUMNS, frame_table, metrics_table
from research.bundled import project_file

# The chapters after the first backtests follow this strategy through validation.
FEATURED = ("sma_cross", {"fast": 20, "slow": 100})
SWEEP_GRID = {"fast": range(5, 55, 5), "slow": range(50, 275, 25)}  # 90 sets, 1 invalid
EVENT_BARS = 2_000  # the event-driven chapters use the most recent bars: a quick look
PAPER_BARS = 500
PAPER_DAYS = 90  # the promoted spec's paper run: the live gates want >= 20 days, 30 fills

DEMO_STRATEGIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("sma_cross", {"fast": 20, "slow": 100}),
    ("donchian_breakout", {"window": 55}),
    ("rsi_reversion", {"window": 14}),
)


@dataclass
class DemoContext:
    """What the chapters share: the data, the console, the output folder and the results."""

    console: Console
    out_dir: Path
    bars: Any = None  # pandas DataFrame in the bar convention
    config: Any = None  # research.BacktestConfig shared by every chapter
    data_label: str = ""
    results: dict[str, Any] = field(default_factory=dict)  # strategy name -> BacktestResult
    artifacts: dict[str, Path] = field(default_factory=dict)
    # The registry the promotion chapter opened (the live chapter's node checks it) and
    # whether the promoted spec reached stage live there.
    registry: Any = None
    registry_args: list[str] = field(default_factory=list)  # --dsn/--schema/--tracking-uri
    promoted_live: bool = False
    resources: ExitStack = field(default_factory=ExitStack)  # servers the chapters started


def _chapter_data(ctx: DemoContext) -> None:
    user_data = os.environ.get("GAUNTLET_DEMO_DATA")
    if user_data:
        from marketdata import load_bars

        ctx.bars = load_bars(user_data)
        ctx.data_label = f"{user_data} ({len(ctx.bars):,} bars)"
    else:
        from marketdata.synthetic import generate_bars

        ctx.bars = generate_bars(24 * 260 * 3, seed=7, timeframe="1h", instrument="EURUSD")
        ctx.data_label = (
            f"SYNTHETIC EUR/USD 1h, {len(ctx.bars):,} bars (regime-switching generator, seed 7)"
        )
    first, last = ctx.bars.index[0], ctx.bars.index[-1]
    ctx.console.print(f"[bold]Data[/]: {ctx.data_label}, {first:%Y-%m-%d} → {last:%Y-%m-%d}")


def _chapter_vectorized(ctx: DemoContext) -> None:
    from research import BacktestConfig, Costs, backtest
    from strategies import plugins

    config = BacktestConfig(cash=100_000, costs=Costs(commission=0.00002, spread=0.00008))
    ctx.config = config
    ctx.console.print(
        "[bold]Vectorized backtests[/] (vectorbt): fill at next open, 0.2 bp commission, "
        "0.8 pip spread"
    )
    for name, params in DEMO_STRATEGIES:
        ctx.results[name] = backtest(plugins.create(name, **params), ctx.bars, config)
    ctx.console.print(metrics_table(ctx.results, columns=COMPACT_COLUMNS))
    ctx.console.print("(every metric, equity and drawdown charts: the HTML report below)")


def _chapter_report(ctx: DemoContext) -> None:
    from research import write_report

    path = write_report(list(ctx.results.values()), ctx.out_dir / "demo_report.html")
    ctx.artifacts["report"] = path


def _chapter_sweep(ctx: DemoContext) -> None:
    from research.sweep import sweep
    from research.walkforward import walk_forward

    name = FEATURED[0]
    space = {k: list(v) for k, v in SWEEP_GRID.items()}
    started = time.perf_counter()
    result = sweep(name, ctx.bars, space, config=ctx.config, workers=1)
    elapsed = time.perf_counter() - started
    ctx.console.print(
        f"[bold]Sweep[/] (fused numba kernel, equal to single backtests to 1e-9): {name} over "
        f"{result.total} parameter sets in {elapsed:.2f} s ({len(result.rejected)} rejected "
        f"by the strategy and skipped, e.g. {result.rejected[0][1] if result.rejected else '-'})"
    )
    cols = [*result.param_names, "trades", "total_return", "sharpe", "max_drawdown"]
    ctx.console.print(frame_table(result.sorted("sharpe")[cols].head(5), "best 5 by Sharpe"))
    wf = walk_forward(name, ctx.bars, space, n_folds=4, config=ctx.config, workers=1)
    cols = ["fold", "test_start", "test_end", *space, "is_sharpe", "is_dsr", "oos_sharpe"]
    title = "walk-forward: optimize in-sample, trade the next fold out-of-sample"
    ctx.console.print(frame_table(wf.folds[cols], title))
    oos = wf.oos_metrics
    ctx.console.print(
        f"stitched out-of-sample: Sharpe {oos['sharpe']:.2f}, total return "
        f"{oos['total_return']:+.2%} (in-sample winners rarely keep their Sharpe; "
        "is_dsr is the deflated Sharpe of each fold's winner)"
    )


def _chapter_parity(ctx: DemoContext) -> None:
    from gauntlet.cli.event_cmd import parity_table
    from research.parity import check_parity
    from strategies import plugins

    strategy = plugins.create(FEATURED[0], **FEATURED[1])
    recent = ctx.bars.iloc[-EVENT_BARS:]
    ctx.console.print(
        f"[bold]Event-driven[/] (NautilusTrader BacktestEngine, the strategy hosted unchanged) "
        f"vs vectorized on the last {len(recent):,} bars:"
    )
    report = check_parity(strategy, recent, ctx.config)
    ctx.console.print(parity_table(report))
    verdict = "[green]PASS[/]" if report.ok else "[red]FAIL[/]"
    ctx.console.print(f"parity {verdict}: same trades, equity within the lot-rounding bound")


def _chapter_paper(ctx: DemoContext) -> None:
    from execution_engine.paper import run_paper

    from gauntlet.cli.event_cmd import paper_config
    from strategies import plugins

    strategy = plugins.create(FEATURED[0], **FEATURED[1])
    recent = ctx.bars.iloc[-PAPER_BARS:]
    run_dir = ctx.out_dir / "paper"
    ctx.console.print(
        f"[bold]Paper trading[/]: a live TradingNode, simulated venue, the last "
        f"{len(recent):,} bars replayed through a live data client as fast as possible"
    )
    paper = paper_config(strategy, recent, str(ctx.bars.attrs.get("instrument", "EURUSD")), run_dir)
    result = run_paper(paper)
    ctx.console.print(
        f"{result.orders} orders, {result.fills} fills, {result.denied} denied by the risk "
        f"engine; final equity {result.final_equity:,.2f}; trading state {result.trading_state}"
    )
    ctx.artifacts["paper run (orders, fills, positions)"] = run_dir


SPECS = project_file("specs")  # the working dir's, the wheel's or the checkout's
PROMOTED_SPEC = SPECS / "sma_cross_h1.yaml"
REFUSED_SPEC = SPECS / "examples" / "sma_cross_slow_h1.yaml"
DEMO_SCHEMA = "gauntlet_demo"  # dropped and recreated by every demo run


def _chapter_promotion(ctx: DemoContext) -> None:
    from gauntlet.cli.promote_cmd import gates_table, registry_table
    from research.promotion import Stage, load_policy, load_spec, promote

    ctx.console.print(
        "[bold]Promotion[/]: every stage needs evidence; the registry lives in PostgreSQL "
        "(started embedded under the output folder unless configured) and MLflow's model registry"
    )
    registry = _demo_registry(ctx)
    rules = load_policy()
    common = {"registry": registry, "bundles": ctx.out_dir / "promotion",
              "cache": ctx.out_dir / "evidence", "decided_by": "demo"}  # fmt: skip
    promoted = load_spec(PROMOTED_SPEC)
    for stage in (Stage.CANDIDATE, Stage.PAPER, Stage.LIVE):
        paper_run = _paper_run_of(ctx, promoted) if stage is Stage.LIVE else None
        outcome = promote(promoted, stage, rules, paper_run=paper_run, **common)
        ctx.console.print(gates_table(outcome.results, f"{promoted.name} → {stage}"))
        if outcome.record is None:
            ctx.console.print(f"[red]refused[/] at {stage}: it stays where it was")
            break
        record = outcome.record.to_dict()
        ctx.promoted_live = stage is Stage.LIVE
        ctx.console.print(
            f"[green]promoted[/] to {record['stage']}: MLflow model {record['model_name']} "
            f"version {record['model_version']}, alias '{record['stage']}'"
        )
    refused = load_spec(REFUSED_SPEC)
    outcome = promote(refused, Stage.CANDIDATE, rules, **common)
    ctx.console.print(gates_table(outcome.results, f"{refused.name} → candidate"))
    reasons = "; ".join(r.detail for r in outcome.failed())
    ctx.console.print(f"[red]refused[/]: {reasons} — it stays in research")
    ctx.console.print(registry_table(asyncio.run(registry.list())))
    ctx.artifacts["evidence bundles (content-hashed)"] = ctx.out_dir / "promotion"


def _paper_run_of(ctx: DemoContext, spec: Any) -> Path:
    """The live gates' evidence: a paper session of exactly the spec (its strategy,
    parameters, account and costs) on its last PAPER_DAYS of bars."""
    import pandas as pd
    from execution_engine.paper import PaperConfig, run_paper

    from gauntlet.cli.live_cmd import host_config

    bars = spec.load_bars()
    recent = bars[bars.index > bars.index[-1] - pd.Timedelta(days=PAPER_DAYS)]
    run_dir = ctx.out_dir / "paper-promoted"
    shutil.rmtree(run_dir, ignore_errors=True)
    name = spec.instruments[0]
    costs = spec.backtest_config().costs
    result = run_paper(PaperConfig(
        host=host_config(spec), frames={name: recent}, instrument_names={name: name},
        panel=False, run_dir=run_dir, commission=costs.commission, spread=costs.spread,
    ))  # fmt: skip
    ctx.console.print(
        f"paper run of {spec.name} on its last {PAPER_DAYS} days ({len(recent):,} bars): "
        f"{result.fills} fills, final equity {result.final_equity:,.2f} → the live gates"
    )
    return run_dir


def _demo_registry(ctx: DemoContext) -> Any:
    """A registry on the configured PostgreSQL, else on an embedded one under the output
    folder (up until the demo ends: the live chapter's node checks it and mirrors into it),
    with an MLflow store beside it; made once per demo."""
    if ctx.registry is not None:
        return ctx.registry
    from gauntlet.cli.promote_cmd import registry_for
    from live.db import drop_schema
    from live.settings import load_settings
    from live.stack.stack import Stack

    settings = load_settings(data_dir=(ctx.out_dir / ".gauntlet").resolve())
    stack = Stack(settings)
    if stack.endpoint("postgres") is None:
        stack.up(["postgres"])
        ctx.resources.callback(stack.down)
    dsn = str(stack.endpoint("postgres"))
    # The demo starts from an empty registry every run: its own schema and MLflow store.
    asyncio.run(drop_schema(dsn, DEMO_SCHEMA))
    mlruns = ctx.out_dir / "mlruns"
    shutil.rmtree(mlruns, ignore_errors=True)
    ctx.registry = registry_for(dsn, DEMO_SCHEMA, str(mlruns))
    ctx.registry_args = ["--dsn", dsn, "--schema", DEMO_SCHEMA, "--tracking-uri", str(mlruns)]
    return ctx.registry


def _chapter_live_mt5(ctx: DemoContext) -> None:
    from gauntlet.cli.demo_mt5 import run_mt5_chapter

    spec = _live_spec(ctx)
    if spec is None:
        return
    ctx.console.print(
        "[bold]Live on MetaTrader 5 (terminal simulator)[/]: the terminal simulator plays the "
        "Expert Advisor's side of Gauntlet's bridge protocol (docs/mt5-bridge-protocol.md), "
        "replays the spec's latest bars as ticks and dials the node's bridge over TLS with its "
        f"token. `gauntlet live start --venue mt5` runs {spec.name} ({spec.strategy}) on a "
        "NautilusTrader TradingNode with the MetaTrader clients. Mid-run the bridge drops "
        "after an order reached the terminal, then the node is killed with SIGKILL and "
        "restarted: it reconciles with the terminal and trades on. (The same chapter on FIX: "
        "`gauntlet demo --venue fix`.)"
    )
    folder = ctx.out_dir / "live-mt5"
    run_mt5_chapter(ctx.console, _live_target(ctx, spec), folder)
    ctx.artifacts["MetaTrader terminal simulator and live node (dev CA, logs, status)"] = folder


def _chapter_live_oanda(ctx: DemoContext) -> None:
    from gauntlet.cli.demo_oanda import run_oanda_chapter

    spec = _live_spec(ctx)
    if spec is None:
        return
    ctx.console.print(
        "[bold]Live on OANDA v20 (simulator)[/]: the OANDA v20 simulator serves the REST "
        "routes and the pricing and transaction streams on loopback, replaying the spec's "
        f"latest bars as prices. `gauntlet live start --venue oanda` runs {spec.name} "
        f"({spec.strategy}) on a NautilusTrader TradingNode with the OANDA clients, on bars "
        "NautilusTrader aggregates from those prices, and records every quote it receives. "
        "After a few fills it is stopped and `gauntlet live replay` runs the recorded "
        "session as a backtest: the same bars and decisions? Then a second session is killed "
        "with SIGKILL mid-run and restarted: it reconciles with the account and trades on. "
        "(The same chapter on MetaTrader 5 or FIX: `gauntlet demo --venue mt5|fix`.)"
    )
    folder = ctx.out_dir / "live-oanda"
    run_oanda_chapter(ctx.console, _live_target(ctx, spec), folder)
    ctx.artifacts["OANDA simulator, live node and recorded session (logs, status, quotes)"] = folder


def _chapter_live_fix(ctx: DemoContext) -> None:
    from gauntlet.cli.demo_fix import run_live_chapter

    spec = _live_spec(ctx)
    if spec is None:
        return
    ctx.console.print(
        "[bold]Live on the FIX simulator[/]: the local FIX 4.4 broker simulator over TLS (dev "
        "CA under the output folder) replays the spec's latest bars as quotes; `gauntlet live "
        f"start` runs {spec.name} ({spec.strategy}) on a NautilusTrader TradingNode with the FIX "
        "clients, on bars NautilusTrader aggregates from those quotes. The node is killed with "
        "SIGKILL mid-run and restarted: it reconciles with the venue and trades on."
    )
    folder = ctx.out_dir / "live-fix"
    run_live_chapter(ctx.console, _live_target(ctx, spec), folder)
    ctx.artifacts["FIX simulator and live node (dev CA, ledger, FIX logs, status)"] = folder


def _live_spec(ctx: DemoContext) -> Any:
    """The promoted spec a live chapter trades, or None (said why) when it is not at live."""
    from research.promotion import load_spec

    if not ctx.promoted_live:
        ctx.console.print("the promoted spec did not reach stage live: `gauntlet live start` "
                          "would refuse it, so this chapter is skipped")  # fmt: skip
        return None
    return load_spec(PROMOTED_SPEC)


def _live_target(ctx: DemoContext, spec: Any) -> Any:
    from gauntlet.cli.demo_live import LiveTarget

    return LiveTarget(
        spec=PROMOTED_SPEC, name=spec.name, instrument=spec.instruments[0],
        bars=spec.load_bars(), registry_args=ctx.registry_args,
    )  # fmt: skip


CHAPTERS: tuple[tuple[str, Callable[[DemoContext], None]], ...] = (
    ("data", _chapter_data),
    ("vectorized backtests", _chapter_vectorized),
    ("HTML report", _chapter_report),
    ("parameter sweep and walk-forward", _chapter_sweep),
    ("event-driven parity", _chapter_parity),
    ("paper trading", _chapter_paper),
    ("promotion", _chapter_promotion),
)
LIVE_CHAPTERS: dict[str, tuple[str, Callable[[DemoContext], None]]] = {
    "oanda": ("live on OANDA v20 (simulator)", _chapter_live_oanda),
    "mt5": ("live on MetaTrader 5 (terminal simulator)", _chapter_live_mt5),
    "fix": ("live on the FIX simulator", _chapter_live_fix),
}


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and artifacts."),
    venue: str = typer.Option(
        "oanda",
        "--venue",
        envvar="GAUNTLET_DEMO_VENUE",
        help="The live chapter's venue: oanda (the newest), mt5 or fix.",
    ),
    live_only: bool = typer.Option(
        False,
        "--live-only",
        help="Only the promotion (the live node needs its spec at stage live) and the live "
        "chapter: a quick look at one venue.",
    ),
) -> None:
    """Run the main job: data → backtests → report → sweep → walk-forward → parity → paper →
    promotion → live on a venue simulator (OANDA v20 by default), recorded and replayed."""
    choice(venue, tuple(LIVE_CHAPTERS), "--venue")
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(console=console, out_dir=out)
    console.rule("[bold]Gauntlet demo")
    with ctx.resources:  # the embedded PostgreSQL, if a chapter started one
        chapters = [c for c in CHAPTERS if not live_only or c[0] == "promotion"]
        for title, chapter in (*chapters, LIVE_CHAPTERS[venue]):
            console.rule(title, style="dim")
            chapter(ctx)
    console.rule("[bold]Done")
    for label, path in ctx.artifacts.items():
        console.print(f"{label}: [link=file://{path.resolve()}]{path.resolve()}[/]")


@app.command("version")
def version() -> None:
    """Print Gauntlet's version."""
    from importlib.metadata import version as pkg_version

    typer.echo(pkg_version("gauntlet"))
