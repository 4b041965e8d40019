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
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from nautilus_trader.model.identifiers import InstrumentId
from pydantic import ValidationError

from execution_engine.adapters.mt5.config import (
    MT5_CLIENT,
    Mt5VenueConfig,
    VenueConfigError,
    load_mt5_venue_config,
)
from execution_engine.adapters.mt5.execution import Mt5ExecutionClient
from execution_engine.adapters.mt5.intents import INTENTS_FILE
from execution_engine.live.churn import (
    Churner,
    Plan,
    net_position,
    next_decision,
    node_view,
    redis_cache,
    write_report,
)
from execution_engine.live.churn_process import (
    churn_main,
    churn_parser,
    env_secret,
    execution_client,
    print_ready,
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


def run(args: argparse.Namespace) -> int:
    venue = _venue(args.config)
    env_secret(venue.token_secret)  # fail before the node
    plan = Plan(args.orders, args.resting, args.seed)
    instrument = instrument_of(venue)
    strategy = Churner(
        plan, args.trader_id, pd.Timedelta(milliseconds=args.interval_ms), False,
        instrument_id=instrument, client_id=MT5_CLIENT, retry_rejected=True,
    )  # fmt: skip
    node = build_mt5_node(
        venue, args.state, env_secret, [strategy], instruments=(SYMBOL,),
        trader_id=args.trader_id,
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
    client = execution_client(node, MT5_CLIENT, Mt5ExecutionClient)
    journaled = journaled_ids(journal_path(venue, args.state))
    at = loop.run_until_complete(next_decision(client, strategy, journaled))
    strategy.resume(at)
    net, held = net_position(strategy), len(node.cache.orders_open())
    print_ready(at, net, held, f"journaled={len(journaled)}")
    run_until(node, lambda: strategy.done, timeout=args.timeout)
    view = node_view(strategy) | {"in_doubt": sorted(str(c) for c in client.in_doubt)}
    write_report(args.report, view)
    print("DONE", flush=True)
    stop_node(node)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = churn_parser("python -m execution_engine.live.mt5_churn", hold=False)
    return churn_main(argv, parser, run, VenueConfigError)


if __name__ == "__main__":
    asyncio.set_event_loop(None)  # build_mt5_node makes the node's own
    sys.exit(main())
