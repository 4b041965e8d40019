"""The SIGKILL soak on the FIX venue (issue 12, crash safety): a node child that trades
(execution_engine.live.churn) is killed with SIGKILL at random moments — right after a
NewOrderSingle reaches the venue, at a random delay while trading, during start-up
reconciliation — and restarted on the same state folder and NautilusTrader Redis cache; at
the end the venue's ledger is checked against the node's view: 0 duplicate orders, 0 lost
fills (none inferred by reconciliation either), positions equal. Restart → ACTIVE (spawn →
READY, reconciled and trading) is timed at every restart. Exit 1 on any violation.

One in-process FixSimulator over TLS, quoted every --quote-ms (20 by default) and filling at
most 2,000 per quote, so orders fill over several quotes (several fills per order); with
--quote-ms 0 it is quoted once and fills every order on arrival (a NEW and a fill each).
Redis: the system server at --redis when it answers, else an embedded one (live.stack.redis).

Run: python -m bench.soak_fix_kill [--kills 50] [--seed 1] [--quote-ms 20|0]
         [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import redis
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.live.soak import (
    SoakConfig,
    drop_redis_keys,
    run_soak,
    sim_quote,
    table,
    write_venue_file,
)

from bench._common import machine
from live.stack._process import free_port

TOP_SIZE = Decimal(2_000)  # per quote: a 5,000 order fills in three


def redis_url(stack: ExitStack, wanted: str, folder: Path) -> str:
    """`wanted` when it answers, else an embedded server for the run."""
    try:
        if redis.Redis.from_url(wanted, socket_connect_timeout=1).ping():
            return wanted
    except redis.RedisError:
        pass
    from live.stack.redis import EmbeddedRedis

    server = EmbeddedRedis()
    url = str(server.start(folder).url)
    stack.callback(server.stop, folder)
    print(f"no Redis at {wanted}: embedded Redis at {url}")
    return url


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--max-delay", type=float, default=0.6, help="s, random kill delay")
    parser.add_argument("--quote-ms", type=float, default=20.0, help="0: one quote only")
    parser.add_argument("--keep", action="store_true", help="keep the state folder")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="soak-fix-kill-"))
        if not args.keep:
            stack.callback(_remove, folder)
        url = redis_url(stack, args.redis, folder / "redis")
        streaming = args.quote_ms > 0
        rules = BookRules(TOP_SIZE if streaming else None)
        sim = FixSimulator(SimulatorConfig(port=free_port(), state_dir=folder / "sim", rules=rules))
        sim.start()
        stack.callback(sim.stop)
        sim.push_quote(sim_quote(0))
        secrets = write_venue_file(sim, folder / "venue.json")
        config = SoakConfig(
            kills=args.kills, seed=args.seed, redis_url=url, max_delay_s=args.max_delay,
            quote_interval_s=args.quote_ms / 1000 if streaming else None,
        )  # fmt: skip
        stack.callback(drop_redis_keys, url, config.trader_id)
        quotes = f"a quote every {args.quote_ms:g} ms" if streaming else "one quote"
        print(f"SIGKILL soak: {args.kills} kills, seed {args.seed}, trader {config.trader_id}, "
              f"{config.decisions} decisions, {quotes}, Redis cache at {url}, state {folder}")  # fmt: skip
        result = run_soak(sim, folder / "venue.json", secrets, folder, config)
        print("\n".join(table(result)))
        print(f"  {machine()}")
        return 0 if result.ok else 1


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
