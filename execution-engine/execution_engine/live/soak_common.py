"""What the SIGKILL soaks share, whatever the venue (soak.py on FIX, mt5_soak.py on
MetaTrader): the child processes and their READY line, the kill moments and their odds,
the harness loop (kill and restart `kills` times, then let the last child finish), the
decision counts and position checks of a verdict, and the soak's Redis keys (the verdict
table's common rows and the restart times' percentiles are soak_report's).

A venue brings its config (SoakSettings), the two moments only it can see (KillPoints: its
session is up, an order reached it), its quote pump and its comparison.

A child prints `READY <time.monotonic()> ...` once it is reconciled and trading; the soak
reads its stdout on a thread and times the restart from spawn to that line (both on
CLOCK_MONOTONIC, which the processes share).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Generic, Protocol, Self, TypeVar

import redis

from execution_engine.live.churn import parse_decision_id
from execution_engine.live.churn_process import READY, SECRET_PREFIX

KILL_MODES = ("order", "random", "startup")
MODE_WEIGHTS = (0.4, 0.4, 0.2)
ORDER_KILL_JITTER_S = 0.003  # after an order reaches the venue
STARTUP_KILL_WINDOW_S = 0.25  # after the logon / dial-in: the reconciliation's queries
MAX_CRASHES = 3  # children that die by themselves before the soak gives up
Log = Callable[[str], None]


class SoakAbortedError(RuntimeError):
    """The child stopped making progress (or kept dying): the soak cannot go on; one line."""


@dataclass
class Child:
    """One child process, its stdout read on a thread (the READY line's timestamp)."""

    process: subprocess.Popen[str]
    spawned: float  # time.monotonic() just before the spawn
    echo: IO[str]  # where its other stdout lines go (NautilusTrader's errors)
    ready_at: float | None = None
    ready_line: str = ""
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        stream = self.process.stdout
        assert stream is not None  # spawned with stdout=PIPE
        for line in stream:
            if line.startswith(READY + " "):
                self.ready_at, self.ready_line = float(line.split()[1]), line.strip()
                self.ready.set()
            self.echo.write(f"[{self.process.pid}] {line}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def startup_s(self) -> float | None:
        return None if self.ready_at is None else self.ready_at - self.spawned


def spawn(command: list[str], secrets: dict[str, str], stderr: IO[str]) -> Child:
    """Start `command` with `secrets` (name → value) as GAUNTLET_SECRET_<NAME> variables."""
    env = os.environ | {SECRET_PREFIX + k.upper(): v for k, v in secrets.items()}
    spawned = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    child = Child(process, spawned, stderr)
    threading.Thread(target=child.read, daemon=True).start()
    return child


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def wait_ready(child: Child, timeout: float) -> bool:
    """True once READY; False when the child ended first; SoakAbortedError when it hangs."""
    deadline = time.monotonic() + timeout
    while not child.ready.wait(0.05):
        if child.process.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise SoakAbortedError(f"the child was not READY within {timeout:g} s")
    return True


def drop_redis_keys(url: str, trader_id: str) -> int:
    """Delete the trader's keys (NautilusTrader's `trader-<id>:` prefix): each soak has its
    own trader id, so nothing else's keys are touched."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"trader-{trader_id}:*", count=1000))
        if keys:
            client.unlink(*keys)
        return len(keys)
    finally:
        client.close()


def decision_of(client_order_id: str) -> int:
    """The decision index of one of the churn's client order ids; -1 for any other."""
    parsed = parse_decision_id(client_order_id)
    return -1 if parsed is None else parsed[0]


def decision_gaps(
    client_order_ids: Iterable[str], flatten_index: int, reported: bool
) -> tuple[int, int]:
    """(orders beyond the first of a decision, decisions without an order) among the
    venue's orders `client_order_ids`. With the node's report (`reported`) every decision
    below `flatten_index` has one (the flattening one has none when already flat); without,
    every decision below the last one the venue has."""
    decisions = Counter(decision_of(cid) for cid in client_order_ids)
    duplicates = sum(n - 1 for n in decisions.values() if n > 1)
    upto = flatten_index if reported else max(decisions, default=-1)
    return duplicates, len(set(range(upto)) - set(decisions))


class VerdictChecks:
    """What every venue's verdict (a dataclass with these fields) checks the same way:
    the venue's net position against the node's, once the node's report was there to
    compare with, and the soak's own problems; the venue says what else it counts."""

    compared: bool
    node_position: Decimal
    problems: list[str]

    def _at_venue(self) -> Decimal:
        """The venue's net position (its fills or deals summed)."""
        raise NotImplementedError

    def _venue_violations(self) -> int:
        """The venue's own counts that are violations."""
        raise NotImplementedError

    @property
    def position_diff(self) -> Decimal:
        return self._at_venue() - self.node_position

    @property
    def violations(self) -> int:
        position = self.compared and self.position_diff != 0
        return self._venue_violations() + position + len(self.problems)


# --- what the harness reads of a venue's soak ----------------------------------------------
class SoakSettings(Protocol):
    """A venue's soak config, as the harness and the child's command line read it."""

    @property
    def kills(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def orders(self) -> int | None: ...
    @property
    def interval_ms(self) -> float: ...
    @property
    def max_delay_s(self) -> float: ...
    @property
    def redis_url(self) -> str | None: ...
    @property
    def trader_id(self) -> str: ...
    @property
    def final_timeout_s(self) -> float: ...
    @property
    def stall_s(self) -> float: ...
    @property
    def decisions(self) -> int: ...


@dataclass(frozen=True)
class ChurnSettings:
    """The settings every venue's soak config starts with (a venue's adds its own after)."""

    kills: int
    seed: int = 0
    orders: int | None = None  # churn decisions in total; None: enough for every kill
    interval_ms: float = 20.0
    max_delay_s: float = 0.6  # the longest random kill delay after READY

    @property
    def decisions(self) -> int:
        # About one decision per interval while a child trades; twice the expected need.
        per_kill = self.max_delay_s / 2 / (self.interval_ms / 1000) + 2
        return self.orders if self.orders is not None else int(self.kills * per_kill) + 20


class VenueVerdict(Protocol):
    """What the harness and the result read of a venue's verdict."""

    @property
    def problems(self) -> list[str]: ...
    @property
    def violations(self) -> int: ...


SettingsT = TypeVar("SettingsT", bound=SoakSettings)
VerdictT = TypeVar("VerdictT", bound=VenueVerdict)


@dataclass
class SoakTally(Generic[SettingsT, VerdictT]):
    """A venue's soak result: what the harness counts, and its verdict. A venue's result
    gives `verdict` its default (a fresh verdict) and adds its own fields after."""

    config: SettingsT
    verdict: VerdictT
    kills: Counter[str] = field(default_factory=Counter)
    restarts_s: list[float] = field(default_factory=list)  # spawn → READY, after a kill
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict.violations == 0 and sum(self.kills.values()) >= self.config.kills


class KillPoints(Protocol):
    """The two kill moments only the venue sees. Each wait returns False when the child
    ended first and the kill is off, and raises SoakAbortedError when the child hangs."""

    def before_spawn(self) -> None:
        """Just before each child is spawned (the previous one is dead)."""

    def wait_session(self, child: Child, timeout: float) -> bool:
        """Until the child's session is up at the venue (a `startup` kill follows)."""

    def wait_order(self, child: Child, timeout: float) -> bool:
        """Until the next order reaches the venue (an `order` kill follows)."""


def churn_command(
    module: str, venue_file: Path, state: Path, config: SoakSettings, report: Path, *extra: str
) -> list[str]:
    """The churn child `module`'s command line for the soak `config`."""
    command = python_module(
        module, "--config", str(venue_file),
        "--state", str(state), "--trader-id", config.trader_id,
        "--orders", str(config.decisions), "--seed", str(config.seed),
        "--interval-ms", str(config.interval_ms), "--report", str(report), *extra,
    )  # fmt: skip
    return command + (["--redis", config.redis_url] if config.redis_url else [])


# --- the harness ---------------------------------------------------------------------------
class TickPump:
    """`push(0)` on entering, then `push(1)`, `push(2)`, ... every `interval` s on a thread
    of its own until the `with` block ends: the venue's quotes."""

    def __init__(
        self, push: Callable[[int], None], interval: float, name: str | None = None
    ) -> None:
        self._push, self._interval = push, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def __enter__(self) -> Self:
        self._push(0)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(self._interval):
            tick += 1
            self._push(tick)


def run_children(
    tally: SoakTally[Any, Any], venue: KillPoints, command: list[str], secrets: dict[str, str],
    children_log: Path, pump: AbstractContextManager[object], log: Log,
) -> int | None:  # fmt: skip
    """Kill and restart the child `kills` times, then let the last one finish, `pump`
    running throughout; the last child's exit code, None when the soak was aborted (the
    reason is then among the tally's problems). The children's stderr goes to `children_log`."""
    try:
        with pump, children_log.open("a", encoding="utf-8") as stderr:
            _kill_cycles(tally, venue, command, secrets, stderr, log)
            return _final_run(tally, venue, command, secrets, stderr)
    except SoakAbortedError as exc:
        tally.verdict.problems.append(str(exc))
        return None


def last_report(
    code: int | None, report: Path, children_log: Path, problems: list[str]
) -> dict[str, Any] | None:
    """The last child's report when it finished (exit 0, report written); else None, and
    a problem when it ended otherwise (None: aborted, the reason is already there)."""
    if code is not None and (code != 0 or not report.exists()):
        problems.append(f"the last child exited {code} ({children_log})")
    if code == 0 and report.exists():
        node: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return node
    return None


def _kill_cycles(
    tally: SoakTally[Any, Any], venue: KillPoints, command: list[str], secrets: dict[str, str],
    stderr: IO[str], log: Log,
) -> None:  # fmt: skip
    config = tally.config
    rng = random.Random(config.seed)
    first, crashes = True, 0
    while sum(tally.kills.values()) < config.kills:
        mode = rng.choices(KILL_MODES, MODE_WEIGHTS)[0]
        venue.before_spawn()
        child = spawn(command, secrets, stderr)
        try:
            killed = _kill_one(child, mode, venue, rng, config)
        finally:
            child.kill()  # whatever happened, no child outlives its cycle
        _record_start(tally, child, first)
        first = False
        if killed:
            tally.kills[mode] += 1
            log(f"  kill {sum(tally.kills.values()):>3} ({mode:<7}) {child.ready_line}")
            continue
        code = child.process.returncode
        if code == 0:
            log(f"  the child finished before kill {sum(tally.kills.values()) + 1}")
            return
        crashes += 1
        tally.verdict.problems.append(f"a child exited {code} by itself (see children.log)")
        if crashes >= MAX_CRASHES:
            raise SoakAbortedError(f"the child exited by itself {crashes} times")


def _kill_one(
    child: Child, mode: str, venue: KillPoints, rng: random.Random, config: SoakSettings
) -> bool:
    """Kill `child` the `mode` way; False when it ended by itself first."""
    if mode == "startup":
        if not venue.wait_session(child, config.stall_s):
            return False
        time.sleep(rng.uniform(0, STARTUP_KILL_WINDOW_S))
    else:
        if not wait_ready(child, config.stall_s):
            return False
        if mode == "order":
            if not venue.wait_order(child, config.stall_s):
                return False
            time.sleep(rng.uniform(0, ORDER_KILL_JITTER_S))
        else:
            time.sleep(rng.uniform(0, config.max_delay_s))
    if not child.alive:
        return False
    child.kill()
    return True


def _final_run(
    tally: SoakTally[Any, Any], venue: KillPoints, command: list[str], secrets: dict[str, str],
    stderr: IO[str],
) -> int:  # fmt: skip
    """The last child, left to finish; its exit code."""
    timeout = tally.config.final_timeout_s
    venue.before_spawn()
    child = spawn(command, secrets, stderr)
    try:
        code = child.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SoakAbortedError(
            f"the last child did not finish within {timeout:g} s "
            f"({child.ready_line or 'never READY'})"
        ) from None
    finally:
        child.kill()
    _record_start(tally, child, False)
    return code


def _record_start(tally: SoakTally[Any, Any], child: Child, first: bool) -> None:
    if child.startup_s is not None and not first:
        tally.restarts_s.append(child.startup_s)
