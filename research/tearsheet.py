"""Tearsheet: a self-contained HTML report (plotly JS inlined once) and a PNG for CI artifacts.

Panels: equity vs buy-and-hold, underwater drawdown, monthly returns heatmap, rolling Sharpe,
trade P&L distribution, gross exposure.

PNG export uses matplotlib, not kaleido: plotly 5 (pinned < 6 by vectorbt 1.0) only speaks
the kaleido 0.x API, and kaleido 1.x needs plotly >= 6.1 and a Chrome binary; so kaleido is no dependency.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research.engine.display import (
    DIVERGING_COLORSCALE,
    METRIC_ROWS,
    format_metric,
    label,
    thin,
)
from research.engine.result import BacktestResult
from research.errors import ResearchInputError
from research.metrics import drawdown


@dataclass(frozen=True)
class TearsheetData:
    """The series a tearsheet draws, derived once from a result and its close prices."""

    title: str  # the strategy and its parameters: sma_cross(fast=10, slow=50)
    costs: str  # the costs and account lines of the run (Costs.describe, describe_account)
    equity: pd.Series
    benchmark: pd.Series  # buy-and-hold equity, starting at the strategy's starting cash
    drawdown: pd.Series  # from the running peak, which starts at the starting cash
    monthly: pd.DataFrame  # year × month returns
    rolling_sharpe: pd.Series
    trade_pnl: np.ndarray
    exposure: pd.Series  # Σ |position · close| / equity
    metrics: dict[str, Any]


def buy_and_hold(close: pd.Series | pd.DataFrame, start_value: float) -> pd.Series:
    """Equal-weight buy-and-hold of the instruments, starting at `start_value`."""
    rel = close / close.iloc[0]
    curve = rel.mean(axis=1) if isinstance(rel, pd.DataFrame) else rel
    return (curve * start_value).rename("buy_and_hold")


def close_prices(bars: pd.DataFrame) -> pd.Series | pd.DataFrame:
    if isinstance(bars.columns, pd.MultiIndex):
        return bars.xs("close", axis=1, level=-1)
    return bars["close"]


def monthly_returns(equity: pd.Series, start_value: float | None = None) -> pd.DataFrame:
    """Year × month returns; the first month is measured from `start_value` (the starting
    cash, ADR 0002 §9; the first bar's equity if None)."""
    month_end = equity.resample("ME").last().dropna()
    first = float(equity.iloc[0]) if start_value is None else start_value
    start = pd.Series([first], index=[month_end.index[0] - pd.offsets.MonthEnd(1)])
    returns = pd.concat([start, month_end]).pct_change().dropna()
    when = pd.DatetimeIndex(returns.index)
    table = pd.DataFrame({"year": when.year, "month": when.month, "ret": returns.to_numpy()})
    return table.pivot(index="year", columns="month", values="ret")


def tearsheet_data(result: BacktestResult, close: pd.Series | pd.DataFrame) -> TearsheetData:
    equity = result.equity
    if len(equity) < 2:
        raise ResearchInputError("a tearsheet needs at least 2 bars of equity")
    ppy = result.metrics.periods_per_year
    window = int(max(2, min(len(equity) // 4, round(ppy / 4))))  # about a quarter
    returns = result.returns
    roll = returns.rolling(window)
    rolling_sharpe = (roll.mean() / roll.std() * np.sqrt(ppy)).rename(f"Sharpe ({window} bars)")
    notional = (result.position * close).abs()
    gross = notional.sum(axis=1) if isinstance(notional, pd.DataFrame) else notional
    cash = result.config.cash  # every panel is measured from the starting cash
    return TearsheetData(
        title=label(result),
        costs=f"{result.config.costs.describe()}; {result.config.describe_account()}",
        equity=equity,
        benchmark=buy_and_hold(close, cash),
        drawdown=pd.Series(
            drawdown(equity.to_numpy(dtype=np.float64), cash), index=equity.index, name="drawdown"
        ),
        monthly=monthly_returns(equity, cash),
        rolling_sharpe=rolling_sharpe,
        trade_pnl=result.trades["pnl"].to_numpy(dtype=np.float64),
        exposure=(gross / equity).rename("exposure"),
        metrics=result.metrics.model_dump(),
    )


def figures(data: TearsheetData) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    equity, bench, drawdown = thin(data.equity), thin(data.benchmark), thin(data.drawdown)
    sharpe, exposure = thin(data.rolling_sharpe), thin(data.exposure)
    eq = go.Figure([
        go.Scatter(x=equity.index, y=equity, name="strategy"),
        go.Scatter(x=bench.index, y=bench, name="buy & hold"),
    ])  # fmt: skip
    dd = go.Figure(go.Scatter(x=drawdown.index, y=drawdown, fill="tozeroy", name="drawdown"))
    hm = go.Figure(go.Heatmap(
        z=data.monthly.to_numpy(), x=[str(m) for m in data.monthly.columns],
        y=[str(y) for y in data.monthly.index], colorscale=DIVERGING_COLORSCALE, zmid=0,
        colorbar={"title": "return", "tickformat": ".1%"},
    ))  # fmt: skip
    rs = go.Figure(go.Scatter(x=sharpe.index, y=sharpe, name="rolling Sharpe"))
    pnl = go.Figure(go.Histogram(x=data.trade_pnl, nbinsx=40, name="trade P&L"))
    ex = go.Figure(go.Scatter(x=exposure.index, y=exposure, name="gross exposure"))
    out = [
        ("Equity vs buy & hold", eq), ("Underwater (drawdown)", dd), ("Monthly returns", hm),
        (f"Rolling {data.rolling_sharpe.name}", rs), ("Trade P&L distribution", pnl),
        ("Gross exposure (|position·price| / equity)", ex),
    ]  # fmt: skip
    for title, fig in out:
        fig.update_layout(title=title, height=320, margin={"l": 50, "r": 20, "t": 40, "b": 30})
    return out


def formatted_metrics(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) per metric, as every table shows them: percentages with 2 decimals,
    ratios with 2 (METRIC_ROWS' formats), not 0.0187363."""
    return [
        (name, format_metric(metrics[field], fmt))
        for field, name, fmt in METRIC_ROWS
        if field in metrics and metrics[field] is not None
    ]


def _metrics_table(metrics: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(text)}</td></tr>"
        for name, text in formatted_metrics(metrics)
    )
    return f"<table class='metrics'>{cells}</table>"


def write_html(data: TearsheetData, path: str | Path) -> Path:
    """One HTML file with plotly.js inlined once: opens offline."""
    path = Path(path)
    parts = []
    for i, (_, fig) in enumerate(figures(data)):
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False))
    body = "\n".join(parts)
    doc = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(data.title)}</title>"
        "<style>body{font-family:sans-serif;margin:20px} table.metrics td,table.metrics th"
        "{padding:2px 10px;text-align:left}</style></head><body>"
        f"<h1>{html.escape(data.title)}</h1><p class='costs'>{html.escape(data.costs)}</p>"
        f"{_metrics_table(data.metrics)}{body}</body></html>"
    )
    _write(path, doc.encode())
    return path


def write_png(data: TearsheetData, path: str | Path) -> Path:
    """The same six panels as a static PNG (matplotlib, headless Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(3, 2, figsize=(14, 11))
    ax = axes.ravel()
    equity, bench = thin(data.equity), thin(data.benchmark)
    ax[0].plot(equity.index, equity.to_numpy(), label="strategy")
    ax[0].plot(bench.index, bench.to_numpy(), label="buy & hold")
    ax[0].legend()
    ax[1].fill_between(data.drawdown.index, data.drawdown.to_numpy(), 0.0, color="tab:red")
    monthly = data.monthly.to_numpy(dtype=float)
    # The HTML heatmap's colourscale, centred on 0 as its zmid=0 is.
    reach = float(np.nanmax(np.abs(monthly))) if np.isfinite(monthly).any() else 1.0
    image = ax[2].imshow(
        monthly, cmap=plotly_cmap(DIVERGING_COLORSCALE), aspect="auto",
        vmin=-(reach or 1.0), vmax=reach or 1.0,
    )  # fmt: skip
    bar = fig.colorbar(image, ax=ax[2])
    bar.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=1))
    ax[2].set_yticks(range(len(data.monthly.index)), [str(y) for y in data.monthly.index])
    ax[2].set_xticks(range(len(data.monthly.columns)), [str(m) for m in data.monthly.columns])
    ax[3].plot(data.rolling_sharpe.index, data.rolling_sharpe.to_numpy())
    if len(data.trade_pnl):
        ax[4].hist(data.trade_pnl, bins=40)
    ax[5].plot(data.exposure.index, data.exposure.to_numpy())
    for a, (title, _) in zip(ax, figures(data), strict=True):
        a.set_title(title)
    fig.suptitle(f"{data.title}\n{data.costs}")
    fig.autofmt_xdate()
    fig.tight_layout()
    path = Path(path)
    try:
        # A PNG whatever the file is named: matplotlib would otherwise pick the format from
        # the suffix and refuse one it does not know (`--png out.csv`).
        fig.savefig(path, dpi=80, format="png")
    except OSError as exc:
        raise ResearchInputError(
            f"cannot write tearsheet PNG {path}: {exc.strerror or exc}"
        ) from None
    finally:
        plt.close(fig)
    return path


def plotly_cmap(name: str) -> Any:
    """A matplotlib colormap with exactly the stops of plotly's colourscale `name`, so the PNG
    heatmap's colours (and colour bar) are the HTML one's."""
    from matplotlib.colors import LinearSegmentedColormap
    from plotly.colors import get_colorscale, unlabel_rgb

    stops = [
        (float(at), tuple(c / 255 for c in unlabel_rgb(colour)))
        for at, colour in get_colorscale(name)
    ]
    return LinearSegmentedColormap.from_list(f"plotly_{name}", stops, N=1024)


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise ResearchInputError(f"cannot write tearsheet {path}: {exc.strerror or exc}") from None


def write_tearsheet(
    result: BacktestResult,
    bars_or_close: pd.DataFrame | pd.Series,
    path: str | Path,
    png: str | Path | None = None,
) -> Path:
    """HTML tearsheet for `result` (and a PNG if asked); `bars_or_close` gives buy-and-hold."""
    close = (
        bars_or_close if isinstance(bars_or_close, pd.Series) or _is_close_frame(bars_or_close)
        else close_prices(bars_or_close)
    )  # fmt: skip
    data = tearsheet_data(result, close)
    out = write_html(data, path)
    if png is not None:
        write_png(data, png)
    return out


def _is_close_frame(frame: pd.DataFrame) -> bool:
    return not isinstance(frame.columns, pd.MultiIndex) and "close" not in frame.columns
