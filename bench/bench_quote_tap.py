"""The live node's quote tap (live.marketdata.session_tap.SessionRecorder): what recording
every quote and sending it through the tick path costs the node's loop.

Measured, per quote, with the recorder running as in a live session (its flush timer on the
loop, Parquet parts written in its worker thread, 1-minute bars on an in-memory bus):

- `on_quote` alone: what the data client's hot path pays (a list append);
- end to end: quotes fed in bursts of `--burst` (one venue message's worth) with a yield to
  the loop between bursts, until every quote is on disk and through the tick path; the
  loop also turns the buffered quotes into columns and runs the tick path, so this is the
  whole cost the tap adds to the loop, and the rate is how many quotes/s it can take.

The reference is the MetaTrader data client's goal, 50,000 quotes/s (adapters/mt5/data.py):
the tap must take quotes several times faster than that to leave the loop to the node.

Run: python -m bench.bench_quote_tap [--quotes 500000] [--burst 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import FIXED_PRECISION

from bench._common import machine
from bus import InMemoryBus
from live.marketdata.session_tap import SessionRecorder

GOAL = 50_000
EURUSD = InstrumentId.from_str("EUR/USD.MT5")
T0 = 1_767_225_600_000_000_000
MANIFEST = {"run": 1, "instrument": "EUR/USD", "instrument_id": EURUSD.value}


def make_quotes(n: int) -> list[QuoteTick]:
    """EUR/USD quotes 10 ms apart, at 5 digits, as the MetaTrader client makes them."""
    return [_quote(i) for i in range(n)]


def _quote(i: int) -> QuoteTick:
    unit = 10 ** (FIXED_PRECISION - 5)  # NautilusTrader's raw units per 0.00001
    bid, ask, ts = (110_000 + i % 97) * unit, (110_002 + i % 97) * unit, T0 + i * 10_000_000
    return QuoteTick.from_raw(EURUSD, bid, ask, 5, 5, 0, 0, 0, 0, ts, ts)


def on_quote_alone(quotes: list[QuoteTick], folder: Path) -> float:
    """Quotes/s through `on_quote` with nothing else running (the buffer only grows)."""
    recorder = SessionRecorder(folder, "alone", max_buffered=len(quotes) + 1)
    tap = recorder.on_quote
    start = time.perf_counter()
    for quote in quotes:
        tap(quote)
    return len(quotes) / (time.perf_counter() - start)


async def _end_to_end(quotes: list[QuoteTick], folder: Path, burst: int) -> float:
    bus = InMemoryBus("bench")

    async def the_bus() -> InMemoryBus:
        return bus

    recorder = SessionRecorder(folder, "session", bus=the_bus)
    await recorder.open(MANIFEST)
    tap = recorder.on_quote
    start = time.perf_counter()
    for i in range(0, len(quotes), burst):
        for quote in quotes[i : i + burst]:
            tap(quote)
        await asyncio.sleep(0)  # the loop runs its timer and the consumers between messages
    await recorder.close()
    seconds = time.perf_counter() - start
    if recorder.writer.quotes != len(quotes) or recorder.errors:
        raise SystemExit(f"the recorder lost quotes: {recorder.status()}")
    return len(quotes) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=500_000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"command: python -m bench.{Path(__file__).stem} {' '.join(sys.argv[1:])}")
    quotes = make_quotes(args.quotes)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        alone = statistics.median(
            on_quote_alone(quotes, root / f"a{n}") for n in range(args.repeats)
        )
        whole = statistics.median(
            asyncio.run(_end_to_end(quotes, root / f"e{n}", args.burst))
            for n in range(args.repeats)
        )
    print(f"{'measure':<44}{'quotes':>10}{'median quotes/s':>18}{'µs/quote':>10}{'vs goal':>9}")
    for label, rate in (("on_quote alone (the data client's cost)", alone),
                        (f"end to end, bursts of {args.burst}", whole)):  # fmt: skip
        print(f"{label:<44}{args.quotes:>10,}{rate:>18,.0f}{1e6 / rate:>10.2f}{rate / GOAL:>8.1f}x")
    print("every quote on disk and through the tick path, nothing lost")


if __name__ == "__main__":
    main()
