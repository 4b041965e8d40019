"""The MetaTrader bridge benchmark's terminal process (bench_mt5_bridge): the terminal
simulator in a process of its own, as a real terminal is (on another machine, even), dialing
the node's bridge over TLS on loopback, and doing what the node's side asks on a queue.

Commands (tuples on `commands`), each answered on `answers`:

- `("tick",)`: one quote through the engine (a `ticks` event when the symbol is subscribed);
  answered `("tick", None)`.
- `("burst", batch, profile)`: the `count` prepared tick rows as `ticks` events of `batch`
  rows each, sent through the link as fast as it takes them (an EA on a timer batches the
  ticks it saw), both of the terminal's threads profiled when `profile`; answered
  `("burst", SendTimes)`.
- `("profile", on)`: the link's thread (where the EA's requests are answered) profiled from
  now (`on`), or no more; answered `("profile", text)`, the top functions when turned off.
- `("stop",)`: the link stops and the process ends (answered `("stop", None)`).

Rows are made before any timing (`tick_rows`), so a burst measures what the EA's side pays to
send: the JSON encoding of each event and the hand-over to TLS, not the making of prices.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

SYMBOL = "EURUSD"
TERMINAL = "bench-terminal-1"
STANDING_BID, STANDING_ASK = Decimal("1.10010"), Decimal("1.10012")
_BACKOFF = (0.05, 0.1, 0.2, 0.5, 1.0)  # the EA's is 1..30 s; the bench cannot wait that long
_CONNECT_SECONDS = 30.0


@dataclass(frozen=True)
class SendTimes:
    """One burst on the terminal's clock (time.monotonic_ns, the same clock in every process
    on Linux): its first emit, and when the link's loop had encoded and written the last
    event to its TLS transport. `profile`: the burst's top functions, when asked for."""

    rows: int
    first_emit_ns: int
    written_ns: int
    profile: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(1e-9, (self.written_ns - self.first_emit_ns) / 1e9)


def tick_rows(count: int, digits: int = 5) -> list[list[Any]]:
    """`count` tick rows `[symbol, time_ms, bid, ask, last, volume]` as the engine formats
    them (sim/engine.py tick_row): a walk of one point up and down around 1.10010, 2 points
    spread, one millisecond apart."""
    from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS
    from execution_engine.adapters.mt5.sim.engine import tick_row
    from execution_engine.adapters.mt5.sim.market import Tick

    spec = next(s for s in DEFAULT_SYMBOLS if s.name == SYMBOL)
    point = Decimal(1).scaleb(-digits)
    start_ms = int(time.time() * 1000)
    rows = []
    for i in range(count):
        bid = STANDING_BID + point * (i % 7)
        rows.append(tick_row(spec, Tick(SYMBOL, start_ms + i, bid, bid + 2 * point)))
    return rows


def serve_terminal(
    port: int, ca_file: str, token: str, count: int, commands: Any, answers: Any
) -> None:
    """The terminal dialing 127.0.0.1:`port`, trusting `ca_file`, with `token`; `count`
    rows ready for each burst; serving `commands` until told to stop."""
    from execution_engine.adapters.mt5.sim.config import EngineConfig
    from execution_engine.adapters.mt5.sim.terminal import SimTerminalConfig, TerminalSimulator

    rows = tick_rows(count)
    config = SimTerminalConfig(
        host="127.0.0.1", port=port, token=token, terminal=TERMINAL, ca_file=Path(ca_file),
        platform="mt5", engine=EngineConfig(platform="mt5"), backoff=_BACKOFF,
    )  # fmt: skip
    simulator = TerminalSimulator(config)
    simulator.push_tick(SYMBOL, STANDING_BID, STANDING_ASK)  # the market orders' price
    simulator.start()
    answers.put(("started", simulator.link.wait_connected(_CONNECT_SECONDS)))
    requests = cProfile.Profile()  # the link thread's, between ("profile", True) and False
    try:
        while True:
            command = commands.get()
            if command[0] == "stop":
                break
            if command[0] == "tick":
                simulator.push_tick(SYMBOL, STANDING_BID, STANDING_ASK)
                answers.put(("tick", None))
            elif command[0] == "burst":
                batch, profile = int(command[1]), bool(command[2])
                answers.put(("burst", _burst(simulator.link, rows, batch, profile)))
            elif command[0] == "profile":
                answers.put(("profile", _toggle(simulator.link, requests, bool(command[1]))))
    finally:
        simulator.stop()
        answers.put(("stop", None))


def _burst(link: Any, rows: list[list[Any]], batch: int, profile: bool) -> SendTimes:
    """Every row through `link.emit`, `batch` rows an event; timed until the link's loop has
    written the last one (a callback queued on that loop after the last emit runs after the
    flush the emit scheduled: the loop runs its callbacks in order). With `profile`, both
    threads are profiled: this one (the emits) and the link's (encoding, TLS)."""
    # TerminalLink has no public "all written" hook; its loop is the one the flushes run on.
    loop = link._loop
    batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    emitter, writer = cProfile.Profile(), cProfile.Profile()
    if profile:
        _on_loop(loop, writer.enable)
        emitter.enable()
    first = time.monotonic_ns()
    for chunk in batches:
        link.emit("ticks", {"ticks": chunk})
    _on_loop(loop, lambda: None)
    done = time.monotonic_ns()
    text = ""
    if profile:
        emitter.disable()
        _on_loop(loop, writer.disable)
        text = top_functions(emitter, writer)
    return SendTimes(len(rows), first, done, text)


def _toggle(link: Any, profiler: cProfile.Profile, on: bool) -> str:
    """`profiler` on the link's thread turned on, or off (then its top functions)."""
    loop = link._loop  # see _burst
    if on:
        _on_loop(loop, profiler.enable)
        return ""
    _on_loop(loop, profiler.disable)
    return top_functions(profiler)


def _on_loop(loop: Any, call: Any) -> None:
    """Run `call` on `loop`'s thread, after what was queued before it; wait for it."""
    ran = threading.Event()

    def run() -> None:
        call()
        ran.set()

    loop.call_soon_threadsafe(run)
    if not ran.wait(120):
        raise TimeoutError("the terminal's link did not run a callback in 120 s")


def top_functions(*profilers: cProfile.Profile, limit: int = 18) -> str:
    """The profiles' functions together, the `limit` costliest by own time: each one's share
    of the profiled time, own and cumulative, and its calls."""
    stats = pstats.Stats(profilers[0], stream=io.StringIO())
    for more in profilers[1:]:
        stats.add(more)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]  # pstats' table, untyped in typeshed
    total = sum(row[2] for row in table.values()) or 1e-9
    lines = [f"    {total:.3f} s profiled; own share, cumulative share, calls, function"]
    costliest = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:limit]
    for (file, line, name), (_, calls, own, cumulative, _) in costliest:
        lines.append(
            f"    {own / total:6.1%} {cumulative / total:7.1%} {calls:>9,} "
            f"{_short(file)}:{line}({name})"
        )
    return "\n".join(lines) + "\n"


def _short(file: str) -> str:
    """A profiled function's file without the checkout's or the environment's prefix."""
    for marker in ("site-packages/", "execution-engine/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file
