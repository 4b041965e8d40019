"""The conformance kit against the OANDA v20 simulator through a real TradingNode: every card
OANDA has a counterpart for passes, the rest are not applicable for the reason the venue
gives, and the simulator's ledger shows no order sent twice and the account left flat."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from execution_engine.conformance.catalog import CARDS
from execution_engine.conformance.oanda_venue import (
    DEFAULT_INSTRUMENT,
    NOT_APPLICABLE,
    OandaSimVenue,
)
from execution_engine.conformance.results import CardStatus, KitReport
from execution_engine.conformance.runner import run_kit

pytestmark = pytest.mark.slow

TIMEOUT_SECONDS = 8.0
SKIPPED = NOT_APPLICABLE


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> tuple[OandaSimVenue, KitReport]:
    venue = OandaSimVenue()
    report = run_kit(venue, tmp_path_factory.mktemp("node"), CARDS, timeout=TIMEOUT_SECONDS)
    return venue, report


def test_every_card_passes_or_says_why_it_does_not_apply(
    kit: tuple[OandaSimVenue, KitReport],
) -> None:
    _, report = kit
    assert [c.id for c in report.cards] == [c.id for c in CARDS]
    assert (report.venue, report.instrument) == ("oanda", "EUR/USD.OANDA")
    for card in report.cards:
        if card.id in SKIPPED:
            assert card.status is CardStatus.NOT_APPLICABLE, card
            assert card.reason == SKIPPED[card.id]
        else:
            assert card.status is CardStatus.PASS, f"{card.id}: {card.reason}"
            assert card.reason  # what the card saw


def test_the_simulator_received_each_order_once_and_is_left_flat(
    kit: tuple[OandaSimVenue, KitReport],
) -> None:
    venue, _ = kit
    creates = Counter(
        t["clientExtensions"]["id"]
        for t in venue.sim.transactions()
        if t["type"].endswith("_ORDER") and t.get("reason") == "CLIENT_ORDER"
        and t.get("clientExtensions")
    )  # fmt: skip
    assert len(creates) > 30  # the cards traded
    assert all(count == 1 for count in creates.values()), creates  # no order created twice
    assert venue.sim.net_position(DEFAULT_INSTRUMENT) == Decimal(0)
    assert venue.sim.broker.pending_orders() == []
