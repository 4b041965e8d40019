"""Where the simulator's bars come from: the bundled sample, a bar file, a catalog, synthetic
minutes; each named as Polygon names it."""

from __future__ import annotations

from pathlib import Path

from execution_engine.adapters.polygon.sim import sources

from marketdata import Catalog, load_bars
from marketdata.synthetic import generate_bars


def test_the_sample_is_eurusd_hours() -> None:
    (series,) = sources.sample()
    bars = load_bars(sources.SAMPLE)
    assert (series.ticker, series.resolution_ms, len(series)) == ("C:EURUSD", 3_600_000, len(bars))
    assert series.c[-1] == bars["close"].iloc[-1]


def test_a_bar_file_takes_its_ticker_from_the_option_or_its_name(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSD_M5.csv"
    generate_bars(50, timeframe="5min", price=40_000.0, digits=2).to_csv(path)
    (named,) = sources.from_file(path)
    (given,) = sources.from_file(path, "AAPL")
    assert (named.ticker, named.resolution_ms, len(named)) == ("X:BTCUSD", 300_000, 50)
    assert given.ticker == "AAPL"


def test_a_catalog_serves_each_instrument_at_its_finest_timeframe(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    minutes = generate_bars(600, timeframe="1min")
    catalog.write("EURUSD", "1m", minutes)
    catalog.write("EURUSD", "1h", generate_bars(10, timeframe="1h"))
    catalog.write("GBPUSD", "1h", generate_bars(24, timeframe="1h", price=1.3))
    served = {s.ticker: s for s in sources.from_catalog(tmp_path)}
    assert sorted(served) == ["C:EURUSD", "C:GBPUSD"]
    assert (served["C:EURUSD"].resolution_ms, len(served["C:EURUSD"])) == (60_000, 600)
    assert served["C:GBPUSD"].resolution_ms == 3_600_000


def test_synthetic_minutes_are_deterministic() -> None:
    (a,) = sources.synthetic_minutes(1_000)
    (b,) = sources.synthetic_minutes(1_000)
    assert a.ticker == "C:EURUSD"
    assert len(a) == 1_000
    assert (a.c == b.c).all()
    assert (a.t[1:] - a.t[:-1] >= 60_000).all()
