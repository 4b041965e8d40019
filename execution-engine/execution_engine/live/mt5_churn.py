"""The MetaTrader SIGKILL soak's node child: churn.py's trader on the MetaTrader venue. A
TradingNode hosts the bridge on the venue's fixed port, the terminal dials in, and the
child trades until it has made N decisions in total, across any number of restarts, then
flattens and reports.

    python -m execution_engine.live.mt5_churn --config VENUE.toml|.json --state DIR
        [--redis URL] [--trader-id ID] --orders N [--resting R] [--seed S]
        [--interval-ms 20] --report FILE

The terminal's token comes from GAUNTLET_SECRET_<TOKEN_SECRET> (the venue's
`token_secret`). Decisions, ids (`<trader>-D<k>-A<a>`, the order's comment key is the
SHA-256 of it) and the report are churn.py's. What differs from FIX:

- where it was is learnt from the cache, the intent journal (every client order id the
  node wrote down before sending, so an attempt the cache never stored is asked about too)
  and the terminal, asked by comment key (`orders`, then `history_orders`);
- a rejected order is made again under the next attempt: the adapter rejects only what
  never reached the trade server (no terminal connected, or an order in doubt after a
  dropped connection that its key lookup did not find); an order in doubt is never resent,
  the adapter resolves it by its key once the terminal is back;
- it trades only once a quote is in the cache (its limits are priced off the touch).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from pydantic import SecretStr, ValidationError

from execution_engine.adapters.mt5.config import (
    MT5_CLIENT,
    Mt5VenueConfig,
    VenueConfigError,
    load_mt5_venue_config,
)
from execution_engine.adapters.mt5.execution import Mt5ExecutionClient
from execution_engine.adapters.mt5.intents import INTENTS_FILE
from execution_engine.live.churn import (
    READY,
    SECRET_PREFIX,
    Churner,
    Plan,
    net_position,
    next_decision,
    node_view,
    redis_cache,
    write_report,
)
from execution_engine.live.node import build_mt5_node, run_until, start_node, stop_node

SYMBOL = "EURUSD"
_FIRST_QUOTE_S = 10.0


def instrument_of(venue: Mt5VenueConfig) -> InstrumentId:
    return InstrumentId.from_str(f"EUR/USD.{venue.venue}")


def journal_path(venue: Mt5VenueConfig, state: Path) -> Path:
    return venue.state_dir(state) / INTENTS_FILE


def journaled_ids(path: Path) -> list[str]:
    """The client order ids in the intent journal (a torn last line is no intent)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    ids = []
    for line in lines:
        try:
            ids.append(str(json.loads(line)["client_order_id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return ids


def _venue(path: Path) -> Mt5VenueConfig:
    if path.suffix != ".json":
        return load_mt5_venue_config(path)
    try:
        return Mt5VenueConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise VenueConfigError(f"venue config {path}: {first}") from None


def _secret(name: str) -> SecretStr:
    value = os.environ.get(SECRET_PREFIX + name.upper())
    if value is None:
        raise VenueConfigError(f"secret {name!r}: {SECRET_PREFIX}{name.upper()} is not set")
    return SecretStr(value)


def _mt5_client(node: TradingNode) -> Mt5ExecutionClient:
    client = node.kernel.exec_engine._clients[ClientId(MT5_CLIENT)]  # no public lookup
    assert isinstance(client, Mt5ExecutionClient)  # build_mt5_node adds this one
    return client


def run(args: argparse.Namespace) -> int:
    venue = _venue(args.config)
    _secret(venue.token_secret)  # fail before the node
    plan = Plan(args.orders, args.resting, args.seed)
    instrument = instrument_of(venue)
    strategy = Churner(
        plan, args.trader_id, pd.Timedelta(milliseconds=args.interval_ms), False,
        instrument_id=instrument, client_id=MT5_CLIENT, retry_rejected=True,
    )  # fmt: skip
    node = build_mt5_node(
        venue, args.state, _secret, [strategy], instruments=(SYMBOL,), trader_id=args.trader_id,
        cache=redis_cache(args.redis) if args.redis else None,
    )  # fmt: skip
    start_node(node)
    if not node.kernel.exec_engine.check_connected():
        stop_node(node)
        raise VenueConfigError(f"no terminal on the bridge at port {venue.bridge.port}")
    try:
        run_until(node, lambda: node.cache.quote_tick(instrument) is not None, _FIRST_QUOTE_S)
    except TimeoutError:
        stop_node(node)
        raise VenueConfigError(
            f"no {SYMBOL} quote from the terminal in {_FIRST_QUOTE_S:g} s"
        ) from None
    loop = node.get_event_loop()
    assert loop is not None  # build_mt5_node gives it one
    client = _mt5_client(node)
    journaled = journaled_ids(journal_path(venue, args.state))
    at = loop.run_until_complete(next_decision(client, strategy, journaled))
    strategy.resume(at)
    print(
        f"{READY} {time.monotonic():.6f} next={at.index} attempt={at.attempt} "
        f"queries={at.queries} net={net_position(strategy)} "
        f"open={len(node.cache.orders_open())} journaled={len(journaled)}",
        flush=True,
    )
    run_until(node, lambda: strategy.done, timeout=args.timeout)
    view = node_view(strategy) | {"in_doubt": sorted(str(c) for c in client.in_doubt)}
    write_report(args.report, view)
    print("DONE", flush=True)
    stop_node(node)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m execution_engine.live.mt5_churn")
    parser.add_argument("--config", type=Path, required=True, help="venue TOML or JSON")
    parser.add_argument("--state", type=Path, required=True, help="the node's state folder")
    parser.add_argument("--redis", help="redis://host:port: NautilusTrader's cache database")
    parser.add_argument("--trader-id", default="CHURN-001")
    parser.add_argument("--orders", type=int, required=True, help="churn decisions in total")
    parser.add_argument("--resting", type=int, default=0, help="limit orders left open first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interval-ms", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to finish")
    parser.add_argument("--report", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.orders < 0 or args.resting < 0 or args.interval_ms <= 0:
        print("gauntlet: error: --orders/--resting >= 0 and --interval-ms > 0", file=sys.stderr)
        return 2
    try:
        return run(args)
    except VenueConfigError as exc:
        print(f"gauntlet: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    asyncio.set_event_loop(None)  # build_mt5_node makes the node's own
    sys.exit(main())
