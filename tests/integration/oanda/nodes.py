"""A node on the in-process OANDA simulator as the adapter tests drive it: the conformance
kit's venue (`OandaSimVenue`), one card desk, started and quoted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from execution_engine.conformance.context import CardContext, first_quote
from execution_engine.conformance.desk import CardDesk
from execution_engine.conformance.oanda_venue import OandaSimVenue
from execution_engine.live.node import start_node, stop_node


@contextmanager
def started_venue(**options: Any) -> Iterator[OandaSimVenue]:
    """The simulator venue (`OandaSimVenue(**options)`), started, stopped after."""
    venue = OandaSimVenue(**options)
    venue.start()
    try:
        yield venue
    finally:
        venue.stop()


def quoted_node(venue: OandaSimVenue, state: Path) -> CardContext:
    """A node on `venue` with its state under `state`, started, its first quote in."""
    desk = CardDesk(venue.instrument_id, venue.client_id)
    ctx = CardContext(venue, state, 10.0, venue.build_node(state, [desk]))
    start_node(ctx.node)
    first_quote(ctx)
    return ctx


@contextmanager
def node_on_a_new_venue(state: Path) -> Iterator[CardContext]:
    """A quoted node on a simulator of its own; both stopped after."""
    with started_venue() as venue:
        ctx = quoted_node(venue, state)
        try:
            yield ctx
        finally:
            stop_node(ctx.node)


def sim_of(ctx: CardContext) -> OandaSimVenue:
    assert isinstance(ctx.venue, OandaSimVenue)
    return ctx.venue
