"""What a churn child's process does the same way on every venue (churn.py on FIX,
mt5_churn.py on MetaTrader): its command line, its secrets from the environment, the venue's
execution client out of the node, the READY line the soak waits for, and its main's errors.

Kept apart from churn.py's trader so that the soak's parent side (soak_common) and both
children read one definition of the READY line and the secrets' variables.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId
from pydantic import SecretStr

if TYPE_CHECKING:
    from execution_engine.live.churn import Resume

SECRET_PREFIX = "GAUNTLET_SECRET_"  # live.secrets.env's convention (a layer above: not imported)
READY = "READY"
Client = TypeVar("Client")


class MissingSecretError(ValueError):
    """A secret the venue config names is not in the environment; one line."""


def env_secret(name: str) -> SecretStr:
    """The secret `name` from GAUNTLET_SECRET_<NAME>."""
    value = os.environ.get(SECRET_PREFIX + name.upper())
    if value is None:
        raise MissingSecretError(f"secret {name!r}: {SECRET_PREFIX}{name.upper()} is not set")
    return SecretStr(value)


def execution_client(node: TradingNode, client_id: str, kind: type[Client]) -> Client:
    """The node's execution client `client_id`, which its builder made a `kind`."""
    client = node.kernel.exec_engine._clients[ClientId(client_id)]  # no public lookup
    assert isinstance(client, kind)  # the venue's node builder adds this one
    return client


def print_ready(at: Resume, net: object, open_orders: int, *extra: str) -> None:
    """The READY line: the monotonic time (the soak times the restart to it), where the
    child goes on, its position and open orders, then `extra` ("name=value")."""
    fields = [
        f"{READY} {time.monotonic():.6f}", f"next={at.index}", f"attempt={at.attempt}",
        f"queries={at.queries}", f"net={net}", f"open={open_orders}", *extra,
    ]  # fmt: skip
    print(" ".join(fields), flush=True)


def churn_parser(prog: str, *, hold: bool) -> argparse.ArgumentParser:
    """The churn child's options; `hold`: it offers --hold (idle after the last decision)."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--config", type=Path, required=True, help="venue TOML or JSON")
    parser.add_argument("--state", type=Path, required=True, help="the node's state folder")
    parser.add_argument("--redis", help="redis://host:port: NautilusTrader's cache database")
    parser.add_argument("--trader-id", default="CHURN-001")
    parser.add_argument("--orders", type=int, required=True, help="churn decisions in total")
    parser.add_argument("--resting", type=int, default=0, help="limit orders left open first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interval-ms", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to finish")
    if hold:
        parser.add_argument("--hold", action="store_true", help="idle after the last decision")
    parser.add_argument("--report", type=Path, required=True)
    return parser


def churn_main(
    argv: Sequence[str] | None,
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], int],
    config_error: type[Exception],
) -> int:
    """Parse, check, `run`; a bad config or a missing secret is one line and exit 2."""
    args = parser.parse_args(argv)
    if args.orders < 0 or args.resting < 0 or args.interval_ms <= 0:
        print("gauntlet: error: --orders/--resting >= 0 and --interval-ms > 0", file=sys.stderr)
        return 2
    try:
        return run(args)
    except (config_error, MissingSecretError) as exc:
        print(f"gauntlet: error: {exc}", file=sys.stderr)
        return 2
