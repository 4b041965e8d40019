"""`gauntlet demo`: the main job. A newcomer's first look at what Gauntlet does.

It runs with no services and no network: synthetic (clearly labelled) or user-supplied data
→ several strategies → vectorized backtests → metrics → one self-contained HTML report.
Each later capability adds a chapter here (see `CHAPTERS`), so the demo always shows the
newest thing Gauntlet can do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from gauntlet.cli.app import app
from gauntlet.cli.render import metrics_table

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
    data_label: str = ""
    results: dict[str, Any] = field(default_factory=dict)  # strategy name -> BacktestResult
    artifacts: dict[str, Path] = field(default_factory=dict)


def _chapter_data(ctx: DemoContext) -> None:
    user_data = os.environ.get("GAUNTLET_DEMO_DATA")
    if user_data:
        from research.data import load_bars

        ctx.bars = load_bars(user_data)
        ctx.data_label = f"{user_data} ({len(ctx.bars):,} bars)"
    else:
        from research.data.synthetic import generate_bars

        ctx.bars = generate_bars(24 * 260 * 3, seed=7, timeframe="1h", instrument="EURUSD")
        ctx.data_label = (
            f"SYNTHETIC EUR/USD 1h, {len(ctx.bars):,} bars (regime-switching generator, seed 7)"
        )
    first, last = ctx.bars.index[0], ctx.bars.index[-1]
    ctx.console.print(f"[bold]Data[/]: {ctx.data_label}, {first:%Y-%m-%d} → {last:%Y-%m-%d}")


def _chapter_vectorized(ctx: DemoContext) -> None:
    from research import BacktestConfig, Costs, backtest
    from strategies import registry

    config = BacktestConfig(cash=100_000, costs=Costs(commission=0.00002, spread=0.00008))
    ctx.console.print(
        "[bold]Vectorized backtests[/] (vectorbt): fill at next open, 0.2 bp commission, "
        "0.8 pip spread"
    )
    for name, params in DEMO_STRATEGIES:
        ctx.results[name] = backtest(registry.create(name, **params), ctx.bars, config)
    ctx.console.print(metrics_table(ctx.results))


def _chapter_report(ctx: DemoContext) -> None:
    from research import write_report

    path = write_report(list(ctx.results.values()), ctx.out_dir / "demo_report.html")
    ctx.artifacts["report"] = path


CHAPTERS: tuple[tuple[str, Callable[[DemoContext], None]], ...] = (
    ("data", _chapter_data),
    ("vectorized backtests", _chapter_vectorized),
    ("HTML report", _chapter_report),
)


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and artifacts."),
) -> None:
    """Run the main job: data → strategies → backtests → metrics → HTML report."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(console=console, out_dir=out)
    console.rule("[bold]Gauntlet demo")
    for title, chapter in CHAPTERS:
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
