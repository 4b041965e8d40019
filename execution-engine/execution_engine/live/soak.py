"""The SIGKILL soak: kill the node child (churn.py) at random moments, restart it, and check
the venue's ledger against the node's final view.

`run_soak(sim, venue_file, state, config)` drives one in-process FixSimulator (the caller
starts it and keeps its ledger) and a series of `python -m execution_engine.live.churn`
children on one state folder and one trader id. Each child but the last is killed with
SIGKILL, the moment drawn per kill:

- `order`: right after a NewOrderSingle reaches the venue (a new `order` line in the
  simulator's ledger, which is written before the book executes it), plus 0-3 ms: the node
  dies with the order's ExecutionReports on the way or half applied;
- `random`: a random delay after the child is READY (trading);
- `startup`: a random delay after the child's FIX logon, before or around READY: during
  start-up reconciliation (mass status, positions, the decision queries).

The last child runs to the end (flattens, writes its report, exits 0), and `compare` checks
the ledger against that report: no decision with two venue orders, no ClOrdID sent twice as a
new order, every venue fill known to the node, positions equal. Every restart is timed from
spawn to the child's READY line (both on CLOCK_MONOTONIC, which the processes share).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from execution_engine.adapters.fix.config import FixVenueConfig, TlsConfig
from execution_engine.adapters.fix.execution import client_order_id_of
from execution_engine.adapters.fix.sim.ledger import LedgerEntry
from execution_engine.adapters.fix.sim.quotes import Quote
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.live.churn import parse_decision_id

# Re-exported (`as` form): the FIX benchmarks import them from here.
from execution_engine.live.soak_common import KILL_MODES as KILL_MODES
from execution_engine.live.soak_common import Child as Child
from execution_engine.live.soak_common import (
    ChurnSettings,
    SoakTally,
    TickPump,
    VerdictChecks,
    churn_command,
    decision_gaps,
    last_report,
    run_children,
)
from execution_engine.live.soak_common import Log as Log
from execution_engine.live.soak_common import SoakAbortedError as SoakAbortedError
from execution_engine.live.soak_common import drop_redis_keys as drop_redis_keys
from execution_engine.live.soak_common import spawn as spawn
from execution_engine.live.soak_report import (
    closing_rows,
    kills_row,
    position_row,
    restart_rows,
    row,
)
from execution_engine.live.soak_report import percentile as percentile

SYMBOL = "EURUSD"
_WAIT_S = 30.0  # for the venue to see a killed child's session go
_POLL_S = 0.0005


@dataclass(frozen=True)
class SoakConfig(ChurnSettings):
    redis_url: str | None = None
    trader_id: str = field(default_factory=lambda: f"SOAK-{uuid.uuid4().hex[:8]}")
    final_timeout_s: float = 180.0
    stall_s: float = 15.0  # no READY, no logon, no new order for this long: the child hangs
    # Quotes pushed this often (orders larger than the book's top size then fill over
    # several quotes); None: none pushed, every order fills on arrival.
    quote_interval_s: float | None = 0.02


@dataclass
class Verdict(VerdictChecks):
    venue_orders: int = 0
    duplicate_decisions: int = 0  # a decision with two venue orders
    skipped_decisions: int = 0  # a decision before the last one that never reached the venue
    resent_cl_ord_ids: int = 0  # a ClOrdID the venue got twice as a NewOrderSingle
    venue_fills: int = 0
    fills_by_exec_id: int = 0  # the node holds the venue's ExecID as the trade id
    fills_inferred: int = 0  # the node's order has the quantity, under another trade id
    lost_fills: int = 0  # the venue filled it, the node's order does not show it
    reconciliation_diffs: int = 0  # orders NautilusTrader made up at start-up (position diff)
    lost_orders: list[str] = field(default_factory=list)  # whose fills the node does not have
    venue_position: Decimal = Decimal(0)
    node_position: Decimal = Decimal(0)
    compared: bool = False  # the node's report was there to compare with
    problems: list[str] = field(default_factory=list)

    def _at_venue(self) -> Decimal:
        return self.venue_position

    def _venue_violations(self) -> int:
        return (
            self.duplicate_decisions
            + self.skipped_decisions
            + self.resent_cl_ord_ids
            + self.lost_fills
            # An inferred fill is one the node never heard (reconciliation made it up to
            # match the venue's quantity, trade id invented): a lost report, found late.
            + self.fills_inferred
        )


@dataclass
class SoakResult(SoakTally[SoakConfig, Verdict]):
    verdict: Verdict = field(default_factory=Verdict)


# --- the quotes the venue fills against -----------------------------------------------------
class QuotePump(TickPump):
    """Quotes to the simulator every `interval` s (a few ticks apart), so orders larger than
    the book's top size fill over several quotes: several fills per order."""

    def __init__(self, sim: FixSimulator, interval: float = 0.02) -> None:
        super().__init__(lambda tick: sim.push_quote(sim_quote(tick)), interval)


def sim_quote(tick: int) -> Quote:
    bid = Decimal("1.20000") + Decimal(tick % 7) / 100_000
    return Quote(SYMBOL, bid, bid + Decimal("0.00010"), dt.datetime.now(dt.UTC))


# --- the venue as the children see it ------------------------------------------------------
def write_venue_file(sim: FixSimulator, path: Path) -> dict[str, str]:
    """The simulator's session as a venue config (JSON) at `path`; returns the secrets
    (name → value) the children need in their environment."""
    assert sim.ca is not None  # started
    config = FixVenueConfig(
        host="127.0.0.1", port=sim.config.port, sender_comp_id=sim.config.target_comp_id,
        target_comp_id=sim.config.sender_comp_id, username_secret="fix_user",
        password_secret="fix_password", tls=TlsConfig(ca_file=sim.ca.ca_file),
        max_logon_attempts=5, logon_backoff_seconds=0.1, logon_timeout_seconds=5.0,
        account=sim.config.account,
    )  # fmt: skip
    path.write_text(config.model_dump_json(), encoding="utf-8")
    return {"fix_user": sim.config.username, "fix_password": sim.config.password}


# --- the children ----------------------------------------------------------------------------
def child_command(
    venue_file: Path, state: Path, config: SoakConfig, report: Path, *extra: str
) -> list[str]:
    return churn_command("execution_engine.live.churn", venue_file, state, config, report, *extra)


class LedgerTail:
    """The new lines of the simulator's ledger file (it flushes each entry as it records)."""

    def __init__(self, path: Path) -> None:
        self._stream = path.open(encoding="utf-8")
        self._stream.seek(0, os.SEEK_END)

    def skip_to_end(self) -> None:
        self._stream.seek(0, os.SEEK_END)

    def wait_for(self, kind: str, timeout: float, alive: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + timeout
        buffered = ""
        while time.monotonic() < deadline and alive():
            chunk = self._stream.readline()
            if not chunk:
                time.sleep(_POLL_S)
                continue
            buffered += chunk
            if buffered.endswith("\n"):
                if json.loads(buffered)["kind"] == kind:
                    return True
                buffered = ""
        return False

    def close(self) -> None:
        self._stream.close()


class FixKillPoints:
    """The kill moments at the FIX venue: the child's logon (startup), a new `order` line
    in the ledger (order). A child that ended first is seen once the kill's delay is over."""

    def __init__(self, sim: FixSimulator, tail: LedgerTail) -> None:
        self._sim, self._tail = sim, tail

    def before_spawn(self) -> None:
        wait_logged_off(self._sim)

    def wait_session(self, child: Child, timeout: float) -> bool:
        if not self._sim.wait_logged_on(timeout) and child.alive:
            raise SoakAbortedError(f"the child did not log on within {timeout:g} s")
        return True

    def wait_order(self, child: Child, timeout: float) -> bool:
        self._tail.skip_to_end()
        if not self._tail.wait_for("order", timeout, lambda: child.alive) and child.alive:
            raise SoakAbortedError(
                f"no new order reached the venue for {timeout:g} s after READY ({child.ready_line})"
            )
        return True


def wait_logged_off(sim: FixSimulator) -> None:
    """The killed child's session must be gone at the venue before the next one logs on
    (an acceptor refuses a second logon of a session it thinks is up)."""
    app = sim.app
    deadline = time.monotonic() + _WAIT_S
    while app is not None and app.logged_on.is_set() and time.monotonic() < deadline:
        time.sleep(0.005)


def run_soak(
    sim: FixSimulator,
    venue_file: Path,
    secrets: dict[str, str],
    state: Path,
    config: SoakConfig,
    log: Log = print,
) -> SoakResult:
    """Kill and restart the child `config.kills` times, let the last one finish, compare."""
    result = SoakResult(config)
    report = state / "report.json"
    started = time.monotonic()
    command = child_command(venue_file, state / "node", config, report)
    tail = LedgerTail(sim.config.ledger_path)
    children_log = state / "children.log"
    pump = (
        QuotePump(sim, config.quote_interval_s)
        if config.quote_interval_s
        else contextlib.nullcontext()
    )
    try:
        venue = FixKillPoints(sim, tail)
        code = run_children(result, venue, command, secrets, children_log, pump, log)
    finally:
        tail.close()
        result.wall_s = time.monotonic() - started
    problems = result.verdict.problems
    node = last_report(code, report, children_log, problems)
    result.verdict = compare(sim.ledger.entries(), node, config.trader_id, config.decisions)
    result.verdict.problems = problems
    if node is None:
        return result
    with sim.app.lock if sim.app is not None else contextlib.nullcontext():
        book = sim.book.positions().get(SYMBOL, Decimal(0))
    if book != result.verdict.venue_position:
        problems.append(f"the venue's book holds {book}, its ledger sums to "
                        f"{result.verdict.venue_position}")  # fmt: skip
    return result


# --- the comparison --------------------------------------------------------------------------
def compare(
    entries: list[LedgerEntry], node: dict[str, Any] | None, trader_id: str, flatten_index: int
) -> Verdict:
    """The venue's ledger against the node's report (churn.node_view). Every decision
    below `flatten_index` has an order (the flattening one has none when already flat).
    Without a report (the soak was aborted) only the ledger's own checks are made."""
    verdict = Verdict()
    ours = [e for e in entries if e.cl_ord_id.startswith(trader_id + "-")]
    orders = [e for e in ours if e.kind == "order"]
    verdict.venue_orders = len(orders)
    verdict.duplicate_decisions, verdict.skipped_decisions = decision_gaps(
        (e.cl_ord_id for e in orders), flatten_index, node is not None
    )
    verdict.resent_cl_ord_ids = sum(1 for e in ours if e.kind == "duplicate_order")
    fills = [e for e in ours if e.kind == "fill" and not e.poss_dup]
    verdict.venue_fills = len(fills)
    for fill in fills:
        quantity = Decimal(fill.quantity or 0)
        verdict.venue_position += quantity if fill.side == "BUY" else -quantity
    if node is not None:
        _compare_fills(verdict, fills, node)
        verdict.node_position = Decimal(node["net_position"])
        verdict.compared = True
    return verdict


def _compare_fills(verdict: Verdict, fills: list[LedgerEntry], node: dict[str, Any]) -> None:
    """Each venue fill: its ExecID among the node's trade ids, else its order's filled
    quantity at the node covering the venue's (an inferred fill), else lost."""
    node_orders = {o["client_order_id"]: o for o in node["orders"]}
    trade_ids = {f["trade_id"] for f in node["fills"]}
    # Orders that are not decisions: what NautilusTrader's reconciliation made up to match
    # the venue's position (synthetic orders, claimed by the strategy, or INTERNAL-DIFF).
    verdict.reconciliation_diffs = sum(
        1 for o in node["orders"] if parse_decision_id(o["client_order_id"]) is None
    )
    filled_at_venue: dict[str, Decimal] = defaultdict(Decimal)
    unmatched: dict[str, int] = defaultdict(int)
    for fill in fills:
        order_id = client_order_id_of(fill.cl_ord_id).value
        filled_at_venue[order_id] += Decimal(fill.quantity or 0)
        if fill.exec_id in trade_ids:
            verdict.fills_by_exec_id += 1
        else:
            unmatched[order_id] += 1
    for order_id, count in unmatched.items():
        held = node_orders.get(order_id)
        if held is not None and Decimal(held["filled_qty"]) >= filled_at_venue[order_id]:
            verdict.fills_inferred += count
        else:
            verdict.lost_fills += count
            verdict.lost_orders.append(
                f"{order_id} ({'not in the node' if held is None else held['status']})"
            )


# --- the table -------------------------------------------------------------------------------
def table(result: SoakResult) -> Iterator[str]:
    v = result.verdict
    yield kills_row(result.kills)
    yield row("venue orders", f"{v.venue_orders} for {result.config.decisions + 1} decisions")
    yield row(
        "duplicate orders", f"{v.duplicate_decisions} (+ {v.resent_cl_ord_ids} ClOrdIDs resent)"
    )
    yield row("skipped decisions", str(v.skipped_decisions))
    yield row(
        "lost fills",
        f"{v.lost_fills} of {v.venue_fills} "
        f"({v.fills_by_exec_id} by ExecID, {v.fills_inferred} inferred by reconciliation)",
    )
    if v.lost_orders:
        yield f"    of orders           {', '.join(v.lost_orders)}"
    yield row(
        "reconciliation orders",
        f"{v.reconciliation_diffs} (made up to match the venue's position)",
    )
    yield position_row("venue", (v.venue_position, v.node_position) if v.compared else None)
    yield from restart_rows("restart→ACTIVE", result.restarts_s)
    yield from closing_rows(v.problems, result.wall_s, result.ok)
