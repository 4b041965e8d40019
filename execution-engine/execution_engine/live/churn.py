"""The SIGKILL soak's node child: a TradingNode on the FIX venue that keeps trading until it
has made N decisions in total, across any number of restarts, then flattens and reports.

    python -m execution_engine.live.churn --config VENUE.toml|.json --state DIR
        [--redis URL] [--trader-id ID] --orders N [--resting R] [--seed S] [--interval-ms 20]
        [--hold] --report FILE

Credentials come from GAUNTLET_SECRET_<NAME> environment variables (the names in the venue
config; live.secrets' development provider reads the same ones).

Decision k (0-based) is one order with the deterministic ClientOrderId `<trader>-D<k>-A<a>`
(= its FIX ClOrdID): decisions 0..R-1 rest a limit order far from the market (kept open),
the next N alternate buy and sell market orders of seeded sizes, one in five of them a limit
order that is canceled once accepted, and the last one flattens. One decision is in flight
at a time, so the decisions the venue knows are a prefix of 0, 1, 2, ...

Where it was is learnt after a restart, never remembered: the cache (NautilusTrader's
Redis cache database with --redis, else only what start-up reconciliation put in it) gives
the last decision it holds, and the venue is asked (OrderStatusRequest) about that one and
the next ones until it does not know one. A decision the venue does not know is made again
under the next attempt number `a`, never under the ClOrdID it may have sent: query, never
resubmit blindly. Then it prints `READY <monotonic seconds> ...` on stdout.

The soak (execution_engine.live.soak) runs it WITH the Redis cache: FIX 4.4 reconciliation
only tells a node the venue's open orders and net position, so a node without a persisted
cache forgets its closed orders and the ExecIDs of its fills at every restart, and "every
venue fill known to the node" could not hold by construction. Without --redis the child
still works (it asks the venue about every decision from 0, one round trip each), which
checks duplicates and positions only.

With --hold it does not flatten: after the last decision it idles (the restart benchmark
kills it there) and never exits by itself.

The trader (Plan, Churner, next_decision, node_view) is venue-neutral: mt5_churn.py runs it
on MetaTrader (the instrument, the client id and "a rejected decision is made again" are
the Churner's parameters; next_decision asks any client with generate_order_status_report);
what both children's processes do alike (options, secrets, the READY line) is churn_process's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import pandas as pd
from nautilus_trader.common.config import DatabaseConfig
from nautilus_trader.config import CacheConfig, StrategyConfig
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import ClientId, ClientOrderId, InstrumentId
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

from execution_engine.adapters.fix.config import (
    FIX_CLIENT,
    FixVenueConfig,
    VenueConfigError,
    load_venue_config,
    venue_config_from_mapping,
)
from execution_engine.adapters.fix.execution import FixExecutionClient
from execution_engine.live.churn_process import (
    churn_main,
    churn_parser,
    env_secret,
    execution_client,
    print_ready,
)
from execution_engine.live.node import build_fix_node, run_until, start_node, stop_node

INSTRUMENT = InstrumentId.from_str("EUR/USD.FIX")
_SIZES = (1_000, 2_000, 3_000, 5_000)
_LIMIT_SHARE = 0.2  # of the churn decisions: limit orders placed, then canceled
_LIMIT_OFFSET = Decimal("0.05")  # far from the touch: a resting limit never fills
_ID = re.compile(r"-D(?P<decision>\d+)-A(?P<attempt>\d+)$")
_UNACKED = (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED)  # the venue may not know it
_CLOSED = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED)


class Kind(Enum):
    REST = "rest"  # a limit order left open
    MARKET = "market"
    LIMIT = "limit"  # placed, canceled once accepted
    FLATTEN = "flatten"


@dataclass(frozen=True)
class Decision:
    index: int
    kind: Kind
    side: OrderSide
    size: int


@dataclass(frozen=True)
class Plan:
    """The decisions, a pure function of (seed, index): a restarted child makes the same."""

    orders: int
    resting: int
    seed: int

    @property
    def flatten_index(self) -> int:
        return self.resting + self.orders

    def decision(self, index: int) -> Decision:
        rng = random.Random(f"{self.seed}:{index}")
        side = OrderSide.BUY if index % 2 == 0 else OrderSide.SELL
        size = rng.choice(_SIZES)
        if index < self.resting:
            return Decision(index, Kind.REST, side, size)
        if index < self.flatten_index:
            kind = Kind.LIMIT if rng.random() < _LIMIT_SHARE else Kind.MARKET
            return Decision(index, kind, side, size)
        return Decision(index, Kind.FLATTEN, side, 0)


def decision_id(trader_id: str, index: int, attempt: int) -> ClientOrderId:
    return ClientOrderId(f"{trader_id}-D{index}-A{attempt}")


def parse_decision_id(value: str) -> tuple[int, int] | None:
    """(decision, attempt) of one of our ClientOrderIds (a cancel's `:C<n>` stripped)."""
    match = _ID.search(value.split(":", 1)[0])
    return None if match is None else (int(match["decision"]), int(match["attempt"]))


class Churner(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """Makes the plan's decisions one at a time, each once the previous one is complete
    (a market order closed, a churn limit canceled, a resting limit accepted). It waits
    for `resume` (the child's main knows where to start only after asking the venue)."""

    def __init__(
        self,
        plan: Plan,
        trader_id: str,
        interval: pd.Timedelta,
        hold: bool,
        *,
        instrument_id: InstrumentId = INSTRUMENT,
        client_id: str = FIX_CLIENT,
        retry_rejected: bool = False,
    ) -> None:
        super().__init__(StrategyConfig(external_order_claims=[instrument_id]))
        self.plan = plan
        self.instrument_id = instrument_id
        self.client_id = ClientId(client_id)
        # MetaTrader: an order rejected by the adapter never reached the trade server (not
        # connected, or looked up by its key and not found): the decision is made again
        # under the next attempt number. FIX: a rejection ends the decision.
        self.retry_rejected = retry_rejected
        self.trader_id_text = trader_id
        self.hold = hold
        self._interval = interval
        self._next: int | None = None
        self._attempt = 0
        self._inflight: tuple[Decision, ClientOrderId] | None = None
        self._cancels_sent: set[ClientOrderId] = set()
        self.done = False
        self.idle = False  # --hold: every decision but the flattening one is made

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.instrument_id, client_id=self.client_id)

    def resume(self, at: Resume) -> None:
        """Start (again) at decision `at.index`; the previous decision's order, if still not
        complete, is waited for (a limit is canceled). When the venue said it is closed, it
        is not waited for, whatever the cache says (a cache that missed its last reports
        would wait forever)."""
        previous = self._latest_order(at.index - 1) if at.index > 0 else None
        if previous is not None and at.previous_closed is not True:
            self._inflight = (self.plan.decision(at.index - 1), previous.client_order_id)
        self._next, self._attempt = at.index, at.attempt
        self.clock.set_timer("churn", self._interval, callback=lambda _: self._step())
        self._step()

    # --- the loop ---------------------------------------------------------------------------
    def _step(self) -> None:
        if self._next is None or self.done:
            return
        if self._inflight is not None and not self._settle(*self._inflight):
            return
        self._inflight = None
        if self._next > self.plan.flatten_index or (
            self.hold and self._next == self.plan.flatten_index
        ):
            self.done, self.idle = not self.hold, self.hold
            return
        decision = self.plan.decision(self._next)
        if decision.kind is Kind.FLATTEN and not self._ready_to_flatten():
            return
        order = self._order_for(decision)
        if order is None:  # flat already: nothing to send
            self._next += 1
            return
        self._inflight = (decision, order.client_order_id)
        self.submit_order(order)

    def _settle(self, decision: Decision, order_id: ClientOrderId) -> bool:
        """True once `decision`'s order is complete; cancels a churn limit when accepted."""
        order = self.cache.order(order_id)
        if order is None:
            return False
        if self.retry_rejected and order.status is OrderStatus.REJECTED:
            if self._next is not None and self._next <= decision.index:
                self._next, self._attempt = decision.index, _attempt_of(order) + 1
            return True
        complete = order.is_closed or (decision.kind is Kind.REST and order.status not in _UNACKED)
        if complete:
            if self._next is not None and self._next <= decision.index:  # else resumed past it
                self._next, self._attempt = decision.index + 1, 0
            return True
        if decision.kind is Kind.LIMIT and order.status is not OrderStatus.SUBMITTED:
            self._cancel_once(order)
        return False

    def _cancel_once(self, order: Order) -> None:
        if order.client_order_id not in self._cancels_sent:
            self._cancels_sent.add(order.client_order_id)
            self.cancel_order(order)

    def _ready_to_flatten(self) -> bool:
        """Cancels every open order of ours first; True once none is open."""
        # An order the venue never acknowledged (sent by a killed node, or never sent) is
        # not waited for: the decisions before this one are complete, so it is not in flight.
        opened = [
            o
            for o in self.cache.orders_open(instrument_id=self.instrument_id)
            if o.status not in _UNACKED
        ]
        for order in opened:
            self._cancel_once(order)
        return not opened

    def _order_for(self, decision: Decision) -> Order | None:
        instrument = self.cache.instrument(self.instrument_id)
        order_id = decision_id(self.trader_id_text, decision.index, self._attempt)
        if decision.kind is Kind.FLATTEN:
            net = net_position(self)
            if net == 0:
                return None
            side = OrderSide.SELL if net > 0 else OrderSide.BUY
            quantity = instrument.make_qty(abs(net))
            return self.order_factory.market(
                self.instrument_id, side, quantity, client_order_id=order_id
            )
        quantity = instrument.make_qty(self._no_flip(decision))
        if decision.kind is Kind.MARKET:
            return self.order_factory.market(
                self.instrument_id, decision.side, quantity, client_order_id=order_id
            )
        price = instrument.make_price(self._far_price(decision.side))
        return self.order_factory.limit(
            self.instrument_id, decision.side, quantity, price, client_order_id=order_id
        )

    def _no_flip(self, decision: Decision) -> Decimal:
        """The decision's size, cut to the position when it would reverse it: a NETTING
        position reversed by one fill and then filled further cannot be loaded back from
        NautilusTrader 1.221's Redis cache (the two halves of the reversing fill share
        its trade id: Duplicate TradeId at the next start; test_soak.py reproduces it)."""
        size = Decimal(decision.size)
        if decision.kind is not Kind.MARKET:
            return size  # a churn or resting limit never fills
        net = net_position(self)
        against = (net > 0 and decision.side is OrderSide.SELL) or (
            net < 0 and decision.side is OrderSide.BUY
        )
        return min(size, abs(net)) if against else size

    def _far_price(self, side: OrderSide) -> Decimal:
        tick = self.cache.quote_tick(self.instrument_id)
        bid, ask = (
            (Decimal("1.2"), Decimal("1.2"))
            if tick is None
            else (tick.bid_price.as_decimal(), tick.ask_price.as_decimal())
        )
        return bid - _LIMIT_OFFSET if side is OrderSide.BUY else ask + _LIMIT_OFFSET

    def _latest_order(self, index: int) -> Order | None:
        ours = [
            o
            for o in self.cache.orders(instrument_id=self.instrument_id)
            if (parsed := parse_decision_id(o.client_order_id.value)) and parsed[0] == index
        ]
        acked = [o for o in ours if acknowledged(o, self.retry_rejected)]
        return (acked or ours or [None])[-1]


def acknowledged(order: Order, retry_rejected: bool) -> bool:
    """Whether the venue took `order` for its decision (a rejection is not, when the
    decision is made again after one)."""
    if retry_rejected and order.status is OrderStatus.REJECTED:
        return False
    return order.status not in _UNACKED


def net_position(strategy: Churner) -> Decimal:
    """The node's net position in the instrument, every strategy's (and the
    reconciliation's INTERNAL-DIFF) positions summed."""
    net = Decimal(0)
    for position in strategy.cache.positions_open(instrument_id=strategy.instrument_id):
        quantity = position.quantity.as_decimal()
        net += quantity if position.is_long else -quantity
    return net


# --- where it was: the cache, then the venue -------------------------------------------------
@dataclass(frozen=True)
class Resume:
    """Where a (re)started child goes on: the first decision the venue does not know, its
    attempt number, the venue queries it took, and whether the venue holds the decision
    before it closed (None: not asked, the cache's acknowledged state was taken)."""

    index: int
    attempt: int
    queries: int
    previous_closed: bool | None


class StatusSource(Protocol):
    """What answers "does the venue know this order?": a venue's execution client."""

    async def generate_order_status_report(
        self, command: GenerateOrderStatusReport
    ) -> OrderStatusReport | None: ...


async def next_decision(
    client: StatusSource, strategy: Churner, journaled: Iterable[str] = ()
) -> Resume:
    """`journaled`: client order ids the node wrote down before sending (MetaTrader's
    intent journal): attempts the cache may not hold, which the venue is asked about too."""
    attempts: dict[int, list[Order]] = {}
    for order in strategy.cache.orders():
        parsed = parse_decision_id(order.client_order_id.value)
        if parsed is not None:
            attempts.setdefault(parsed[0], []).append(order)
    tops: dict[int, int] = {}
    for client_order_id in journaled:
        parsed = parse_decision_id(client_order_id)
        if parsed is not None:
            tops[parsed[0]] = max(tops.get(parsed[0], -1), parsed[1])
    index = max([*attempts, *tops], default=0)
    queries, previous_closed = 0, None
    while True:
        cached = attempts.get(index, [])
        if any(acknowledged(o, strategy.retry_rejected) for o in cached):
            index, previous_closed = index + 1, None  # acknowledged: known without asking
            continue
        top = max([tops.get(index, -1), *(_attempt_of(o) for o in cached)])
        report = None
        for attempt in range(top + 2):  # an attempt after the cached ones may have gone out
            queries += 1
            report = await _venue_status(
                client, strategy.instrument_id, decision_id(strategy.trader_id_text, index, attempt)
            )
            if report is not None:
                break
        if report is None:
            return Resume(index, top + 1, queries, previous_closed)
        index, previous_closed = index + 1, report.order_status in _CLOSED


def _attempt_of(order: Order) -> int:
    parsed = parse_decision_id(order.client_order_id.value)
    return -1 if parsed is None else parsed[1]


async def _venue_status(
    client: StatusSource, instrument_id: InstrumentId, order_id: ClientOrderId
) -> OrderStatusReport | None:
    command = GenerateOrderStatusReport(instrument_id, order_id, None, UUID4(), time.time_ns())
    report: OrderStatusReport | None = await client.generate_order_status_report(command)
    return report


# --- the report ------------------------------------------------------------------------------
def node_view(strategy: Churner) -> dict[str, object]:
    """The node's state after reconciliation: orders, fills (trade ids), net position."""
    orders, fills = [], []
    for order in strategy.cache.orders(instrument_id=strategy.instrument_id):
        orders.append(
            {
                "client_order_id": order.client_order_id.value,
                "strategy_id": order.strategy_id.value,
                "status": order.status.name,
                "side": order.side.name,
                "quantity": str(order.quantity.as_decimal()),
                "filled_qty": str(order.filled_qty.as_decimal()),
            }
        )
        for event in order.events:
            if isinstance(event, OrderFilled):
                fills.append(
                    {
                        "client_order_id": order.client_order_id.value,
                        "trade_id": event.trade_id.value,
                        "side": event.order_side.name,
                        "quantity": str(event.last_qty.as_decimal()),
                    }
                )
    return {
        "trader_id": strategy.trader_id_text,
        "orders": orders,
        "fills": fills,
        "net_position": str(net_position(strategy)),
    }


def write_report(path: Path, payload: dict[str, object]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(temporary, path)  # the soak never reads half a report


# --- the process -----------------------------------------------------------------------------
def _venue(path: Path) -> FixVenueConfig:
    if path.suffix == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise VenueConfigError(f"venue config {path}: {exc}") from None
        return venue_config_from_mapping(raw, source=path)
    return load_venue_config(path)


def redis_cache(url: str) -> CacheConfig:
    """NautilusTrader's Redis cache database at `url`, keyed by the trader id (not the
    instance id, which changes at every start) and never flushed on start."""
    parts = urlsplit(url)
    database = DatabaseConfig(
        type="redis", host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
        password=parts.password,
    )  # fmt: skip
    return CacheConfig(database=database, use_instance_id=False, flush_on_start=False)


def run(args: argparse.Namespace) -> int:
    venue = _venue(args.config)
    env_secret(venue.username_secret), env_secret(venue.password_secret)  # fail before the node
    plan = Plan(args.orders, args.resting, args.seed)
    strategy = Churner(plan, args.trader_id, pd.Timedelta(milliseconds=args.interval_ms), args.hold)
    node = build_fix_node(
        venue, args.state, env_secret, [strategy], trader_id=args.trader_id,
        request_timeout_seconds=2.0, cache=redis_cache(args.redis) if args.redis else None,
    )  # fmt: skip
    start_node(node)
    if not node.kernel.exec_engine.check_connected():
        stop_node(node)
        raise VenueConfigError(f"the FIX session to {venue.host}:{venue.port} did not log on")
    loop = node.get_event_loop()
    assert loop is not None  # build_fix_node gives it one
    client = execution_client(node, FIX_CLIENT, FixExecutionClient)
    at = loop.run_until_complete(next_decision(client, strategy))
    strategy.resume(at)
    print_ready(at, net_position(strategy), len(node.cache.orders_open()))
    run_until(node, lambda: strategy.done or strategy.idle, timeout=args.timeout)
    write_report(args.report, node_view(strategy))
    print("IDLE" if strategy.idle else "DONE", flush=True)
    if strategy.idle:  # held open for whoever kills it (the restart benchmark)
        with contextlib.suppress(TimeoutError):
            run_until(node, lambda: False, timeout=args.timeout)
    stop_node(node)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = churn_parser("python -m execution_engine.live.churn", hold=True)
    return churn_main(argv, parser, run, VenueConfigError)


if __name__ == "__main__":
    asyncio.set_event_loop(None)  # build_fix_node makes the node's own
    sys.exit(main())
