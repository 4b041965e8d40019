"""A deterministic synthetic FX market, clearly labelled synthetic, for demos, tests and benchmarks.

The price follows a Markov chain of regimes, each a different kind of market:
  trending        a persistent drift (random sign per episode) under calm volatility;
  mean_reverting  increments of an AR(1) deviation, so moves are undone over tens of bars;
  volatile        no drift, about twice the volatility, wider spreads.
Volatility has an intraday shape (quiet Asian hours, London open, London/New York overlap peak,
quiet rollover), spreads widen when it is quiet and at the 22:00 UTC rollover, and there are no
bars over the FX weekend (Friday 22:00 → Sunday 22:00 UTC) with a price gap across it.

Everything is vectorized numpy (1,000,000 bars in well under 2 s); the only sequential part,
the AR(1), runs through pandas' exponentially weighted mean, which is that same recursion.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from marketdata.calendars import CALENDARS
from marketdata.errors import DataError
from marketdata.timeframes import Timeframe, parse_timeframe

__all__ = ["REGIMES", "SYNTHETIC_SUFFIX", "generate_bars", "generate_ticks"]

REGIMES: tuple[str, ...] = ("trending", "mean_reverting", "volatile")
SYNTHETIC_SUFFIX = "-SYNTHETIC"
Floats = npt.NDArray[np.float64]

_HOUR_NS = 3_600_000_000_000
_HOURS_PER_YEAR = 260 * 24  # FX trades about 260 days a year
_ANNUAL_VOL = 0.08
_SPREAD_FRACTION = 0.7e-4  # 0.7 basis point of price: under a pip on EURUSD
# Peak memory per bar, measured: `gauntlet data synth` of 2,000,000 bars peaks ~500 MB above
# its 10-bar baseline (the intermediate arrays plus the frame and the CSV writer's copy).
_PEAK_BYTES_PER_BAR = 256
_WEEK_NS = 7 * 24 * _HOUR_NS
_OPEN_FRACTION = 120 / 168  # FX is open Sunday 22:00 to Friday 22:00 UTC


@dataclass(frozen=True)
class _Regime:
    vol: float  # multiple of the base volatility
    drift: float  # per-bar drift in base sigmas (sign drawn per episode)
    hours: float  # mean episode length in hours
    spread: float  # multiple of the base spread


_REGIME_TABLE = (
    _Regime(vol=0.8, drift=0.1, hours=120.0, spread=1.0),
    _Regime(vol=1.0, drift=0.0, hours=120.0, spread=1.0),
    _Regime(vol=1.8, drift=0.0, hours=36.0, spread=1.8),
)
# Transition probabilities when an episode ends (rows: from, columns: to; no self-loops).
_TRANSITIONS = np.array([[0.0, 0.6, 0.4], [0.6, 0.0, 0.4], [0.5, 0.5, 0.0]])
_AR_PHI = 0.97  # mean-reverting regime: deviation half-life ≈ 23 bars


def generate_bars(
    n: int,
    *,
    seed: int = 0,
    timeframe: str = "1h",
    instrument: str = "EURUSD",
    start: str = "2020-01-01",
    price: float = 1.10,
    digits: int = 5,
    include_regime: bool = False,
) -> pd.DataFrame:
    """`n` synthetic bars (mid prices) with a `spread` column, identical for the same arguments.

    attrs["synthetic"] is True and attrs["instrument"] carries the "-SYNTHETIC" suffix so
    nothing downstream can mistake the data for a market's. include_regime adds an int8
    `regime` column (index into REGIMES) for tests and teaching.
    """
    if n <= 0:
        raise DataError(f"n must be positive, got {n}")
    _require_memory(n)
    frame = parse_timeframe(timeframe)
    first = _start_stamp(start)
    _require_span(n, frame, first, start)
    rng = np.random.default_rng(seed)
    stamps = _session_stamps(n, frame, first)
    regimes, drift_sign = _regime_path(n, frame, rng)
    table = _REGIME_TABLE
    season = _seasonality(stamps, frame)
    sigma = _ANNUAL_VOL * np.sqrt(frame.nanos / _HOUR_NS / _HOURS_PER_YEAR)
    bar_sigma = sigma * season * np.array([r.vol for r in table])[regimes]
    returns = _returns(regimes, drift_sign, bar_sigma, sigma, rng)
    gaps = _weekend_gaps(stamps, frame, sigma, rng)
    close = price * np.exp(np.cumsum(returns + gaps))
    open_ = np.concatenate([[price], close[:-1]]) * np.exp(gaps)
    high = np.maximum(open_, close) * np.exp(0.5 * bar_sigma * np.abs(rng.standard_normal(n)))
    low = np.minimum(open_, close) * np.exp(-0.5 * bar_sigma * np.abs(rng.standard_normal(n)))
    bars = pd.DataFrame(
        # Rounding is monotone, so the rounded bars keep low <= open, close <= high.
        {
            "open": np.round(open_, digits),
            "high": np.round(high, digits),
            "low": np.round(low, digits),
            "close": np.round(close, digits),
            "volume": _volume(season, regimes, frame, rng),
            "spread": _spread(close, season, regimes, stamps, digits, rng),
        },
        index=pd.DatetimeIndex(stamps, name="timestamp").tz_localize("UTC"),
    )
    if include_regime:
        bars["regime"] = regimes.astype(np.int8)
    bars.attrs.update(_labels(instrument, seed, timeframe=frame.label))
    return bars


def generate_ticks(
    n: int,
    *,
    seed: int = 0,
    instrument: str = "EURUSD",
    start: str = "2020-01-01",
    price: float = 1.10,
    digits: int = 5,
    mean_interval: str = "1s",
) -> pd.DataFrame:
    """`n` synthetic quotes (bid, ask, volume) at random intervals inside the FX session."""
    _require_memory(n)
    step = parse_timeframe(mean_interval)
    first = _start_stamp(start)
    _require_span(n, step, first, start)
    rng = np.random.default_rng(seed)
    raw = _sorted_session_times(n, step, first, rng)
    sigma = _ANNUAL_VOL * np.sqrt(step.nanos / _HOUR_NS / _HOURS_PER_YEAR)
    season = _seasonality(raw, Timeframe(_HOUR_NS))
    mid = price * np.exp(np.cumsum(sigma * season * rng.standard_normal(n)))
    half = np.maximum(np.round(price * _SPREAD_FRACTION / season / 2, digits), 10.0**-digits)
    ticks = pd.DataFrame(
        {
            "bid": np.round(mid - half, digits),
            "ask": np.round(mid + half, digits),
            "volume": rng.integers(1, 10, n).astype(np.float64),
        },
        index=pd.DatetimeIndex(raw, name="timestamp").tz_localize("UTC"),
    )
    ticks.attrs.update(_labels(instrument, seed, mean_interval=step.label))
    return ticks


def _start_stamp(start: str) -> int:
    """`start` as UTC nanoseconds; text that is not a date is bad input, not a crash."""
    try:
        stamp = pd.Timestamp(start)
    except (ValueError, OverflowError):
        raise DataError(f"start {start!r} is not a date (e.g. 2020-01-01)") from None
    if pd.isna(stamp):  # pd.Timestamp("") is NaT
        raise DataError(f"start {start!r} is not a date (e.g. 2020-01-01)")
    return (stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")).value


def _require_memory(n: int) -> None:
    """Refuse before allocating anything when `n` bars cannot fit in this machine's memory."""
    needed = n * _PEAK_BYTES_PER_BAR
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if needed > total:
        raise DataError(
            f"{n} bars need about {_size(needed)} of memory and this machine has "
            f"{_size(total)}: ask for fewer bars"
        )


def _require_span(n: int, step: Timeframe, first: int, start: str) -> None:
    """Timestamps are int64 nanoseconds, which end in April 2262: bars past it would wrap
    around to 1677 silently, so a request that would reach it is refused."""
    # In float: the product can exceed int64 (the thing being checked).
    last = first + (n / _OPEN_FRACTION + 1) * step.nanos + 2 * _WEEK_NS
    if last >= float(pd.Timestamp.max.value):
        raise DataError(
            f"{n} bars of {step.label} from {start} would run past {pd.Timestamp.max:%Y-%m-%d}, "
            "the last representable timestamp: ask for fewer bars or a shorter timeframe"
        )


def _size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.3g} {unit}"
        size /= 1024
    return f"{size:.3g} TiB"


def _labels(instrument: str, seed: int, **extra: object) -> dict[str, object]:
    return {
        "synthetic": True,
        "instrument": f"{instrument}{SYNTHETIC_SUFFIX}",
        "generator": f"marketdata.synthetic (seed={seed})",
        **extra,
    }


def _session_stamps(n: int, frame: Timeframe, start: int) -> npt.NDArray[np.int64]:
    """The first `n` bar open times from `start` that fall inside the FX session."""
    fx = CALENDARS["fx"]
    # About 120 of 168 weekly hours are open; ask for 1.5x plus two weeks of slack.
    wanted = int(n * 1.5) + 2 * 7 * 24 * _HOUR_NS // frame.nanos + 8
    while True:
        stamps = start + frame.nanos * np.arange(wanted, dtype=np.int64)
        open_ = stamps[fx.is_open(stamps)]
        if len(open_) >= n:
            return open_[:n]
        wanted *= 2


def _sorted_session_times(
    n: int, step: Timeframe, start: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    fx = CALENDARS["fx"]
    gaps = rng.exponential(step.nanos, int(n * 1.6) + 1000).astype(np.int64) + 1
    stamps = start + np.cumsum(gaps)
    inside = stamps[fx.is_open(stamps)]
    while len(inside) < n:  # pragma: no cover - the 1.6x margin covers the weekend share
        more = inside[-1] + np.cumsum(rng.exponential(step.nanos, n).astype(np.int64) + 1)
        inside = np.concatenate([inside, more[fx.is_open(more)]])
    return inside[:n]


def _regime_path(
    n: int, frame: Timeframe, rng: np.random.Generator
) -> tuple[npt.NDArray[np.intp], Floats]:
    """Regime of every bar, and the drift sign of its episode."""
    bars_per_hour = _HOUR_NS / frame.nanos
    mean_bars = np.array([max(2.0, r.hours * bars_per_hour) for r in _REGIME_TABLE])
    episodes = int(n / mean_bars.min()) + 16
    states = _markov_chain(episodes, rng)
    lengths = rng.geometric(1.0 / mean_bars[states])
    while lengths.sum() < n:  # pragma: no cover - `episodes` is sized for the shortest regime
        states = np.concatenate([states, _markov_chain(episodes, rng, first=states[-1])])
        lengths = np.concatenate([lengths, rng.geometric(1.0 / mean_bars[states[len(lengths) :]])])
    signs = rng.choice([-1.0, 1.0], size=len(states))
    return np.repeat(states, lengths)[:n], np.repeat(signs, lengths)[:n]


def _markov_chain(
    episodes: int, rng: np.random.Generator, first: int | None = None
) -> npt.NDArray[np.intp]:
    # Each step depends on the last, so this loop is sequential, but it runs once per
    # episode (tens of bars), not per bar.
    cumulative = _TRANSITIONS.cumsum(axis=1)
    draws = rng.random(episodes)
    states = np.empty(episodes, dtype=np.intp)
    state = int(rng.integers(len(REGIMES))) if first is None else first
    for i in range(episodes):
        states[i] = state
        state = int(np.searchsorted(cumulative[state], draws[i], side="right"))
    return states


def _seasonality(stamps: npt.NDArray[np.int64], frame: Timeframe) -> Floats:
    """Intraday volatility multiplier with mean 1 over the day (flat for daily or longer bars)."""
    if frame.nanos >= 24 * _HOUR_NS:
        return np.ones(len(stamps))
    hour = (((stamps + frame.nanos // 2) % (24 * _HOUR_NS)) / _HOUR_NS).astype(np.float64)
    shape = _day_shape(hour)
    return np.asarray(shape / _day_shape(np.arange(0.0, 24.0, 0.25)).mean(), dtype=np.float64)


def _day_shape(hour: Floats) -> Floats:
    london_open = np.exp(-(((hour - 8.0) / 1.5) ** 2))
    overlap = np.exp(-(((hour - 14.0) / 2.5) ** 2))
    return 0.6 + 0.35 * london_open + 0.6 * overlap


def _returns(
    regimes: npt.NDArray[np.intp],
    drift_sign: Floats,
    bar_sigma: Floats,
    sigma: float,
    rng: np.random.Generator,
) -> Floats:
    n = len(regimes)
    noise = rng.standard_normal(n)
    innovations = rng.standard_normal(n)
    innovations[0] = 0.0
    # pandas' ewm(adjust=False) is y_t = (1 - a) y_{t-1} + a x_t; with a = 1 - phi and
    # x = e / a that is the AR(1) d_t = phi d_{t-1} + e_t, computed in C.
    alpha = 1.0 - _AR_PHI
    deviation = pd.Series(innovations / alpha).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    reverting = np.diff(deviation, prepend=0.0)
    drift = np.array([r.drift for r in _REGIME_TABLE])[regimes] * drift_sign * sigma
    shock = np.where(regimes == REGIMES.index("mean_reverting"), reverting, noise)
    return np.asarray(drift + bar_sigma * shock, dtype=np.float64)


def _weekend_gaps(
    stamps: npt.NDArray[np.int64], frame: Timeframe, sigma: float, rng: np.random.Generator
) -> Floats:
    """A price jump on the first bar after each weekend (news over the closed market)."""
    after_break = np.diff(stamps, prepend=stamps[0]) > frame.nanos
    return np.where(after_break, 2.0 * sigma * rng.standard_normal(len(stamps)), 0.0)


def _volume(
    season: Floats, regimes: npt.NDArray[np.intp], frame: Timeframe, rng: np.random.Generator
) -> Floats:
    activity = season * np.array([r.vol for r in _REGIME_TABLE])[regimes]
    ticks_per_bar = 1500.0 * frame.nanos / _HOUR_NS
    noisy = ticks_per_bar * activity * rng.lognormal(0.0, 0.3, len(season))
    return np.asarray(np.maximum(1.0, np.round(noisy)), dtype=np.float64)


def _spread(
    close: Floats,
    season: Floats,
    regimes: npt.NDArray[np.intp],
    stamps: npt.NDArray[np.int64],
    digits: int,
    rng: np.random.Generator,
) -> Floats:
    hour = (stamps % (24 * _HOUR_NS)) // _HOUR_NS
    rollover = np.where(hour == 21, 3.0, 1.0)  # liquidity thins out around the 22:00 UTC roll
    regime = np.array([r.spread for r in _REGIME_TABLE])[regimes]
    base = close * _SPREAD_FRACTION
    spread = base * regime * rollover / season * rng.lognormal(0.0, 0.15, len(close))
    return np.asarray(np.maximum(np.round(spread, digits), 10.0**-digits), dtype=np.float64)
