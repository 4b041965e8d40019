"""`run_kit`: the chosen cards against one venue, through one TradingNode, in order.

One node serves the whole run (a FIX logon per card would triple its time); a card that
restarts the node hands the new one on. Each card gets `timeout` seconds of waiting, and a
card that fails, does not apply or trips over a bug in the kit is recorded and the run goes
on. After every card its open orders are canceled, and after the last the position the cards
built is closed, so a broker's UAT account is left as the kit found it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from nautilus_trader.model.enums import OrderSide, OrderStatus

from execution_engine.conformance.card import Card
from execution_engine.conformance.context import (
    CardContext,
    CardFailedError,
    NotApplicableError,
    first_quote,
)
from execution_engine.conformance.desk import CardDesk
from execution_engine.conformance.results import CardResult, CardStatus, KitReport
from execution_engine.conformance.venue import VenueUnderTest
from execution_engine.live.node import LOG_SUBDIR, start_node, stop_node

DEFAULT_TIMEOUT_SECONDS = 10.0
_TIDY_SECONDS = 5.0  # the wait for leftovers to cancel and the position to close


def run_kit(
    venue: VenueUnderTest,
    state_dir: Path,
    cards: Sequence[Card],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    on_result: Callable[[CardResult], None] | None = None,
) -> KitReport:
    """Start the venue and a node on it, run `cards`, stop both; the report. A node that
    cannot start or gets no quote fails every card with that reason."""
    venue.start()
    try:
        # After start: a simulator knows its port only once it listens.
        report = KitReport(venue.name, venue.endpoint, str(venue.instrument_id))
        desk = CardDesk(venue.instrument_id, venue.client_id)
        ctx = CardContext(venue, state_dir, timeout, venue.build_node(state_dir, [desk]))
        try:
            _run_cards(ctx, cards, report, on_result)
        finally:
            stop_node(ctx.node)
    finally:
        venue.stop()
    return report


def _run_cards(
    ctx: CardContext,
    cards: Sequence[Card],
    report: KitReport,
    on_result: Callable[[CardResult], None] | None,
) -> None:
    start_node(ctx.node)
    problem = _not_ready(ctx)
    if problem is not None:
        for card in cards:
            _record(report, _result(card, CardStatus.FAIL, problem, 0.0), on_result)
        return
    for card in cards:
        _record(report, run_card(ctx, card), on_result)
        _cancel_leftovers(ctx)
    _close_position(ctx)


def _not_ready(ctx: CardContext) -> str | None:
    """Why no card can run (the clients did not connect, no quote came), or None."""
    kernel = ctx.node.kernel
    if not (kernel.exec_engine.check_connected() and kernel.data_engine.check_connected()):
        logs = ctx.state_dir / LOG_SUBDIR
        return f"the node did not connect to {ctx.venue.endpoint} (its log says why: {logs})"
    try:
        first_quote(ctx)
    except CardFailedError as exc:
        return f"no market: {exc}"
    return None


def _record(
    report: KitReport, result: CardResult, on_result: Callable[[CardResult], None] | None
) -> None:
    report.cards.append(result)
    if on_result is not None:
        on_result(result)


def run_card(ctx: CardContext, card: Card) -> CardResult:
    """One card, its failure or inapplicability caught with the reason."""
    unsupported = ctx.venue.capabilities.not_applicable.get(card.id)
    if unsupported is not None:
        return _result(card, CardStatus.NOT_APPLICABLE, unsupported, 0.0)
    ctx.begin()
    started = time.monotonic()
    try:
        seen = card.check(ctx)
    except CardFailedError as exc:
        status, reason = CardStatus.FAIL, str(exc)
    except NotApplicableError as exc:
        status, reason = CardStatus.NOT_APPLICABLE, str(exc)
    except Exception as exc:  # the kit or an adapter raised: the card fails, the run goes on
        status, reason = CardStatus.FAIL, f"error: {type(exc).__name__}: {exc}"
    else:
        status, reason = CardStatus.PASS, seen
    return _result(card, status, reason, time.monotonic() - started)


def _result(card: Card, status: CardStatus, reason: str, seconds: float) -> CardResult:
    return CardResult(card.id, card.name, card.group, status, reason, seconds)


def _cancel_leftovers(ctx: CardContext) -> None:
    """Cancel what a failed card left open, so the next card starts from a clean book."""
    instrument = ctx.venue.instrument_id
    leftovers = ctx.node.cache.orders_open(instrument_id=instrument)
    if not leftovers:
        return
    ctx.desk.cancel_each(leftovers)
    _tidy_wait(ctx, lambda: ctx.wait(
        lambda: not ctx.node.cache.orders_open(instrument_id=instrument),
        "leftover orders canceled",
        lambda: "some stay open",
    ))  # fmt: skip


def _close_position(ctx: CardContext) -> None:
    net = ctx.desk.net_position()
    if net == 0:
        return
    side = OrderSide.SELL if net > 0 else OrderSide.BUY
    order = ctx.desk.market(side, ctx.instrument.make_qty(abs(net)))
    _tidy_wait(ctx, lambda: ctx.expect_status(order, OrderStatus.FILLED))


def _tidy_wait(ctx: CardContext, wait: Callable[[], object]) -> None:
    """A tidy-up wait of its own time budget. Its failure is not a card's: what a venue
    does not cancel or fill, the cards that asked for it have already reported."""
    budget = ctx.timeout
    ctx.timeout = _TIDY_SECONDS
    ctx.begin()
    try:
        wait()
    except CardFailedError:
        pass
    finally:
        ctx.timeout = budget
