"""GET /v3/instruments/{instrument}/candles: the replayed bars as OANDA candlesticks.

The bars file gives the candles (its own timestamps), scaled per instrument like the quotes
and aggregated up to the requested granularity; a granularity finer than the file's gives
one candle per bar (the gaps a quiet market leaves). The last candle of the file is the one
still forming (`complete` false). Bid and ask candles are the mids half a spread apart.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from execution_engine.adapters.oanda.sim.config import InstrumentSpec
from execution_engine.adapters.oanda.sim.errors import ApiError
from execution_engine.adapters.oanda.sim.market import Bar
from execution_engine.adapters.oanda.sim.wire import dec, parse_time, rfc3339

_S = 1_000_000_000
GRANULARITIES: dict[str, int] = {
    "S5": 5, "S10": 10, "S15": 15, "S30": 30, "M1": 60, "M2": 120, "M4": 240, "M5": 300,
    "M10": 600, "M15": 900, "M30": 1800, "H1": 3600, "H2": 7200, "H3": 10800, "H4": 14400,
    "H6": 21600, "H8": 28800, "H12": 43200, "D": 86400, "W": 604800, "M": 2_592_000,
}  # fmt: skip
MAX_COUNT = 5000


def _bucket(ts: int, seconds: int) -> int:
    return ts - ts % (seconds * _S)


def aggregate(bars: list[Bar], seconds: int) -> list[Bar]:
    out: list[Bar] = []
    for bar in bars:
        start = _bucket(bar.ts, seconds)
        if out and out[-1].ts == start:
            last = out[-1]
            out[-1] = Bar(
                start,
                last.open,
                max(last.high, bar.high),
                min(last.low, bar.low),
                bar.close,
                last.volume + bar.volume,
            )
        else:
            out.append(Bar(start, bar.open, bar.high, bar.low, bar.close, bar.volume))
    return out


def _ohlc(bar: Bar, spec: InstrumentSpec, shift: Decimal) -> dict[str, str]:
    def scaled(price: Decimal) -> str:
        return dec((price * spec.scale + shift).quantize(spec.tick))

    return {
        "o": scaled(bar.open),
        "h": scaled(bar.high),
        "l": scaled(bar.low),
        "c": scaled(bar.close),
    }


def candle_json(bar: Bar, spec: InstrumentSpec, components: str, complete: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"complete": complete, "volume": bar.volume, "time": rfc3339(bar.ts)}
    half = spec.spread / 2
    for letter, key, shift in (("B", "bid", -half), ("M", "mid", Decimal(0)), ("A", "ask", half)):
        if letter in components:
            body[key] = _ohlc(bar, spec, shift)
    return body


def select(bars: list[Bar], query: Any) -> list[Bar]:
    count_raw = query.get("count")
    try:
        start = parse_time(query["from"]) if "from" in query else None
        end = parse_time(query["to"]) if "to" in query else None
    except ValueError:
        raise ApiError(400, "Invalid value specified for 'from' or 'to'") from None
    if count_raw is not None and (not count_raw.isdigit() or not 1 <= int(count_raw) <= MAX_COUNT):
        raise ApiError(400, "Invalid value specified for 'count'")
    if count_raw is not None and start is not None and end is not None:
        raise ApiError(400, "'count' cannot be specified with both 'from' and 'to'")
    chosen = [b for b in bars if (start is None or b.ts >= start) and (end is None or b.ts < end)]
    count = (
        int(count_raw)
        if count_raw is not None
        else (None if start is not None and end is not None else 500)
    )
    if count is None:
        return chosen[:MAX_COUNT]
    return chosen[:count] if start is not None else chosen[-count:]


def instrument_candles(broker: Any, request: web.Request) -> tuple[int, Any]:
    name = request.match_info["instrument"]
    spec = broker.market.specs.get(name)
    if spec is None:
        raise ApiError(400, "Invalid value specified for 'instrument'")
    granularity = request.query.get("granularity", "S5")
    if granularity not in GRANULARITIES:
        raise ApiError(400, "Invalid value specified for 'granularity'")
    components = request.query.get("price", "M")
    if not components or any(c not in "MBA" for c in components):
        raise ApiError(400, "Invalid value specified for 'price'")
    bars = aggregate(broker.market.bars, GRANULARITIES[granularity])
    chosen = select(bars, request.query)
    final = bars[-1].ts if bars else None
    return 200, {
        "instrument": name, "granularity": granularity,
        "candles": [candle_json(b, spec, components, b.ts != final) for b in chosen],
    }  # fmt: skip
