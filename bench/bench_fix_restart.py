"""Restart after SIGKILL → ACTIVE with positions reconciled, on the FIX venue (issue 12):
goal ≤ 5 s.

A node child (execution_engine.live.churn, NautilusTrader's Redis cache) leaves --open
resting limit orders and a net position from --fills market orders at the in-process
simulator, then idles. It is killed with SIGKILL and started again on the same state
folder --restarts times; each restart is timed from the spawn to the child's READY line:
the process up, the FIX session logged on over TLS, start-up reconciliation done (mass
status, positions), the strategy told where it was (its decisions asked of the venue) and
trading again. At each READY the node's net position and open orders are checked against
the venue's book; a restart that disagrees counts as not reconciled (exit 1).

Run: python -m bench.bench_fix_restart [--restarts 20] [--open 10] [--fills 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.live.soak import (
    Child,
    SoakConfig,
    child_command,
    drop_redis_keys,
    percentile,
    sim_quote,
    spawn,
    wait_logged_off,
    write_venue_file,
)

from bench._common import machine
from bench.soak_fix_kill import redis_url
from live.stack._process import free_port

GOAL_S = 5.0
_STATE = re.compile(r"net=(?P<net>-?[\d.]+) open=(?P<open>\d+)")


def venue_state(sim: FixSimulator) -> tuple[Decimal, int]:
    """(net position, open orders) as the venue's book holds them now."""
    assert sim.app is not None  # started
    with sim.app.lock:
        net = sim.book.positions().get("EURUSD", Decimal(0))
        held = [e for e in sim.book.mass_status("bench") if e.order.order_id != "NONE"]
    return net, len(held)


def wait_line(child: Child, timeout: float, what: str) -> None:
    if not child.ready.wait(timeout):
        raise SystemExit(f"bench: the child did not print {what} within {timeout:g} s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=20)
    parser.add_argument("--open", type=int, default=10, help="resting orders at the venue")
    parser.add_argument("--fills", type=int, default=5, help="market orders: the position")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url = redis_url(stack, args.redis, folder / "redis")
        sim = FixSimulator(SimulatorConfig(port=free_port(), state_dir=folder / "sim"))
        sim.start()
        stack.callback(sim.stop)
        sim.push_quote(sim_quote(0))
        secrets = write_venue_file(sim, folder / "venue.json")
        config = SoakConfig(kills=args.restarts, orders=args.fills, redis_url=url)
        stack.callback(drop_redis_keys, url, config.trader_id)
        command = child_command(folder / "venue.json", folder / "node", config,
                                folder / "report.json", "--resting", str(args.open), "--hold")  # fmt: skip
        log = stack.enter_context((folder / "children.log").open("a", encoding="utf-8"))
        times, disagreements = [], 0
        for cycle in range(args.restarts + 1):
            child = spawn(command, secrets, log)
            try:
                wait_line(child, 60, "READY")
                if cycle == 0:  # the first start only places the orders
                    _wait_idle(folder / "report.json", 60)
                    continue
                assert child.startup_s is not None  # READY seen
                times.append(child.startup_s)
                match = _STATE.search(child.ready_line)
                node = (Decimal(match["net"]), int(match["open"])) if match else None
                venue = venue_state(sim)
                if node != venue:
                    disagreements += 1
                    print(f"  restart {cycle}: node {node} != venue {venue}")
            finally:
                child.kill()
                wait_logged_off(sim)
        net, held = venue_state(sim)
    p50, p99 = statistics.median(times), percentile(times, 0.99)
    print(f"FIX node restart after SIGKILL → ACTIVE (READY, reconciled), {len(times)} restarts, "
          f"{held} open orders and a net position of {net} at the venue, Redis cache")  # fmt: skip
    print(f"  p50 {p50:.2f} s   p99 {p99:.2f} s   max {max(times):.2f} s   min {min(times):.2f} s")
    print(f"  positions and open orders reconciled: {len(times) - disagreements}/{len(times)}")
    print(f"  goal ≤ {GOAL_S:g} s: {'met' if p99 <= GOAL_S else 'NOT met'} (p99)")
    print(f"  {machine()}")
    return 0 if disagreements == 0 else 1


def _wait_idle(report: Path, timeout: float) -> None:
    """The first child writes its report when every decision is made (then idles)."""
    deadline = time.monotonic() + timeout
    while not report.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: the first child did not place its orders in {timeout:g} s")
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
