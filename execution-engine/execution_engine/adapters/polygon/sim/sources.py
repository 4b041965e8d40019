"""Where the simulator's bars come from: a bar file, a catalog, synthetic minutes or the sample.

The bundled sample (data/sample/EURUSD_H1_synthetic.csv) is served as C:EURUSD.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from execution_engine.adapters.polygon.sim.series import Series, polygon_ticker, series_from_bars

SAMPLE = Path(__file__).resolve().parents[5] / "data" / "sample" / "EURUSD_H1_synthetic.csv"


def from_file(path: Path, ticker: str | None = None) -> list[Series]:
    """One series from a bar file; the ticker from --ticker, the file's instrument or its name."""
    from marketdata import load_bars
    from marketdata.timeframes import parse_timeframe

    bars = load_bars(path)
    name = ticker or bars.attrs.get("instrument") or path.stem.split("_")[0]
    frame = bars.attrs.get("timeframe")
    step_ms = parse_timeframe(str(frame)).nanos // 1_000_000 if frame else _spacing_ms(bars)
    return [series_from_bars(bars, polygon_ticker(str(name)), step_ms)]


def from_catalog(root: Path) -> list[Series]:
    """Every instrument of a Gauntlet catalog, each at its finest timeframe."""
    from marketdata.catalog import Catalog
    from marketdata.timeframes import parse_timeframe

    catalog = Catalog(root)
    finest: dict[str, tuple[int, str]] = {}
    for entry in catalog.list():
        nanos = parse_timeframe(entry.timeframe).nanos
        if entry.instrument not in finest or nanos < finest[entry.instrument][0]:
            finest[entry.instrument] = (nanos, entry.timeframe)
    return [
        series_from_bars(catalog.read(name, frame), polygon_ticker(name), nanos // 1_000_000)
        for name, (nanos, frame) in sorted(finest.items())
    ]


def synthetic_minutes(count: int, ticker: str = "C:EURUSD") -> list[Series]:
    """`count` deterministic minute bars (marketdata.synthetic), for benchmarks."""
    from marketdata.synthetic import generate_bars

    bars = generate_bars(count, timeframe="1min", instrument=ticker.split(":")[-1])
    return [series_from_bars(bars, polygon_ticker(ticker), 60_000)]


def sample() -> list[Series]:
    return from_file(SAMPLE, "C:EURUSD")


def _spacing_ms(bars: pd.DataFrame) -> int:
    """The commonest gap between bars, for a file that does not say its timeframe."""
    stamps = pd.DatetimeIndex(bars.index).as_unit("ms").asi8
    gaps = np.diff(stamps)
    return int(np.median(gaps)) if len(gaps) else 60_000
