"""The SIGKILL soak on MetaTrader (issue 13, crash safety): a node child that trades
(execution_engine.live.mt5_churn) is killed with SIGKILL at random moments — right after an
order_send reaches the terminal, at a random delay while trading, during start-up
reconciliation — and restarted on the same state folder (intent journal) and, with
--cache redis, NautilusTrader's Redis cache; meanwhile the bridge drops the connection in
the middle of a share of the order requests (executed, answer lost: the node must resolve
them by key, never resend). At the end the terminal's books are checked against the node's
view: 0 duplicate orders, 0 lost deals (by deal ticket), positions equal. Restart → READY
(spawn → reconciled and trading) is timed at every restart. Exit 1 on any violation.

One in-process TerminalSimulator (netting account, quoted every 20 ms) dials each child's
bridge on one fixed loopback port, as a real EA redials a restarted node.
Redis: the system server at --redis when it answers, else an embedded one (live.stack.redis).

Run: python -m bench.soak_mt5_kill [--kills 50] [--seed 1] [--cache redis|none]
         [--drop-share 0.1] [--orders N] [--interval-ms 20] [--json]
         [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from execution_engine.live.mt5_soak import Mt5SoakConfig, as_json, run_mt5_soak, table
from execution_engine.live.soak_common import drop_redis_keys

from bench._common import machine
from bench.soak_fix_kill import redis_url
from live.stack._process import free_port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", choices=("redis", "none"), default="redis",
                        help="none: each restart rebuilds from the terminal's history")  # fmt: skip
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--max-delay", type=float, default=0.6, help="s, random kill delay")
    parser.add_argument("--drop-share", type=float, default=0.1,
                        help="of the order requests: the bridge drops before the answer")  # fmt: skip
    parser.add_argument("--orders", type=int, help="decisions in total (default: kills x 17 + 20)")
    parser.add_argument("--interval-ms", type=float, default=20.0, help="between decisions")
    parser.add_argument("--json", action="store_true", help="the result as JSON on stdout")
    parser.add_argument("--keep", action="store_true", help="keep the state folder")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if (
        args.kills < 1 or not 0 <= args.drop_share <= 1 or args.max_delay <= 0
        or (args.orders is not None and args.orders < 1) or args.interval_ms <= 0
    ):  # fmt: skip
        print("soak_mt5_kill: error: --kills >= 1, 0 <= --drop-share <= 1, --max-delay > 0, "
              "--orders >= 1, --interval-ms > 0", file=sys.stderr)  # fmt: skip
        return 2
    say = (lambda _: None) if args.json else print
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="soak-mt5-kill-"))
        if not args.keep:
            stack.callback(shutil.rmtree, folder, ignore_errors=True)
        url = redis_url(stack, args.redis, folder / "redis") if args.cache == "redis" else None
        config = Mt5SoakConfig(
            kills=args.kills, seed=args.seed, redis_url=url, max_delay_s=args.max_delay,
            drop_share=args.drop_share, orders=args.orders, interval_ms=args.interval_ms,
        )  # fmt: skip
        if url is not None:
            stack.callback(drop_redis_keys, url, config.trader_id)
        cache = f"Redis cache at {url}" if url else "no cache (terminal history only)"
        say(f"MT5 SIGKILL soak: {args.kills} kills, seed {args.seed}, trader {config.trader_id}, "
            f"{config.decisions} decisions, drops at {args.drop_share:g} of the orders, "
            f"{cache}, state {folder}")  # fmt: skip
        result = run_mt5_soak(folder / "soak", free_port(), config, log=say)
        if args.json:
            print(json.dumps(as_json(result) | {"machine": machine()}, indent=1))
        else:
            print("\n".join(table(result)))
            print(f"  {machine()}")
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
