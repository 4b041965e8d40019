"""Property tests for the data-quality checks, repair and resampling (hypothesis)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from live.marketdata import IngestRejectedError
from live.marketdata.parsing import parse
from live.marketdata.validate import check_bar_rows
from marketdata import QualityConfig, check_quality, repair_bars, resample_bars

HOUR = pd.Timedelta(hours=1)
START = pd.Timestamp("2024-01-01", tz="UTC")
NO_SPIKES = QualityConfig(spike_k=math.inf)  # random walks may hold genuine spike shapes
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
margin = st.floats(min_value=0.0, max_value=0.05, allow_nan=False)


@st.composite
def valid_bars(draw: st.DrawFn, min_size: int = 2, max_size: int = 60) -> pd.DataFrame:
    n = draw(st.integers(min_size, max_size))
    opens = draw(arrays(np.float64, n, elements=positive))
    closes = draw(arrays(np.float64, n, elements=positive))
    up = draw(arrays(np.float64, n, elements=margin))
    down = draw(arrays(np.float64, n, elements=margin))
    steps = draw(arrays(np.int64, n, elements=st.integers(1, 5)))
    index = pd.DatetimeIndex(START + HOUR * np.cumsum(steps), name="timestamp")
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) * (1 + up),
            "low": np.minimum(opens, closes) * (1 - down),
            "close": closes,
            "volume": draw(arrays(np.float64, n, elements=st.floats(0, 1e6))),
        },
        index=index,
    )


@SETTINGS
@given(valid_bars())
def test_valid_ohlc_always_passes(bars: pd.DataFrame) -> None:
    report = check_quality(bars, config=NO_SPIKES)
    assert report.ok, report.errors[:3]


VIOLATIONS = ("non_finite", "non_positive", "price_range", "negative_volume", "high_below_body",
              "low_above_body", "duplicate")  # fmt: skip


@SETTINGS
@given(valid_bars(min_size=3), st.sampled_from(VIOLATIONS), st.data())
def test_an_injected_violation_is_caught_at_its_row(
    bars: pd.DataFrame, rule: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(1, len(bars) - 1))
    bad = inject(bars, rule, position)
    report = check_quality(bad, config=NO_SPIKES)
    assert position + 1 in [issue.row for issue in report.issues if issue.rule == rule]
    assert not report.ok


def inject(bars: pd.DataFrame, rule: str, position: int) -> pd.DataFrame:
    bad = bars.copy()
    column = bad.columns.get_loc
    row = bad.iloc[position]
    if rule == "non_finite":
        bad.iloc[position, column("close")] = np.nan
    elif rule == "non_positive":
        bad.iloc[position, column("low")] = 0.0
    elif rule == "price_range":
        bad.iloc[position, column("high")] = 1e13
    elif rule == "negative_volume":
        bad.iloc[position, column("volume")] = -1.0
    elif rule == "high_below_body":
        bad.iloc[position, column("high")] = max(row["open"], row["close"]) * 0.99
    elif rule == "low_above_body":
        bad.iloc[position, column("low")] = min(row["open"], row["close"]) * 1.01
    elif rule == "duplicate":
        index = bad.index.to_numpy().copy()
        index[position] = index[position - 1]
        bad.index = pd.DatetimeIndex(index, name="timestamp")
    return bad


messy_value = st.one_of(positive, st.just(np.nan), st.just(np.inf), st.just(0.0), st.floats(-10, 0))


@st.composite
def messy_bars(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 60))
    columns = {
        name: draw(arrays(np.float64, n, elements=messy_value))
        for name in ("open", "high", "low", "close")
    }
    columns["volume"] = draw(arrays(np.float64, n, elements=st.floats(-5, 100)))
    hours = draw(arrays(np.int64, n, elements=st.integers(0, 80)))  # duplicates, any order
    return pd.DataFrame(columns, index=pd.DatetimeIndex(START + HOUR * hours, name="timestamp"))


@SETTINGS
@given(messy_bars(), st.sampled_from([3.0, 10.0]))
def test_repair_output_always_passes_the_checks(bars: pd.DataFrame, k: float) -> None:
    config = QualityConfig(spike_k=k)
    repaired, report = repair_bars(bars, config=config)
    after = check_quality(repaired, config=config)
    assert after.ok, after.errors[:3]
    assert report.rows_out == len(repaired) <= len(bars)


@SETTINGS
@given(valid_bars(max_size=40))
def test_resample_preserves_open_high_low_close_volume(bars: pd.DataFrame) -> None:
    daily = resample_bars(bars, "1d", source="1h")
    days = bars.index.floor("1D")
    for day, group in bars.groupby(days):
        bar = daily.loc[day]
        assert bar["open"] == group["open"].iloc[0]
        assert bar["high"] == group["high"].max()
        assert bar["low"] == group["low"].min()
        assert bar["close"] == group["close"].iloc[-1]
        assert math.isclose(bar["volume"], group["volume"].sum(), rel_tol=1e-12)
    assert len(daily) == days.nunique()


@SETTINGS
@given(valid_bars(), st.lists(st.tuples(st.sampled_from(VIOLATIONS[:-1]), st.integers(0, 59))))
def test_ingest_and_the_quality_report_reject_the_same_rows(
    bars: pd.DataFrame, violations: list[tuple[str, int]]
) -> None:
    """One set of row rules: ingestion refuses exactly the rows the quality checks call errors
    (spikes aside: a judgement across bars, not a row rule; timestamps stay in order)."""
    for rule, position in violations:
        bars = inject(bars, rule, position % len(bars))
    report = check_quality(bars, config=NO_SPIKES)
    assert rows_ingest_rejects(bars) == len({issue.row for issue in report.errors})


def rows_ingest_rejects(bars: pd.DataFrame) -> int:
    try:
        check_bar_rows(parse(bars, ("open", "high", "low", "close", "volume"), "<frame>"))
    except IngestRejectedError as exc:
        message = str(exc)
    else:
        return 0
    found = re.match(r"<frame>: (\d+) bad row", message)
    assert found is not None, message
    return int(found.group(1))
