"""The conformance kit against the MetaTrader terminal simulators, MT5 over TLS and MT4 over
HTTPS polling, through a real TradingNode and its bridge: every card MetaTrader has a
counterpart for passes, the rest are not applicable for the reason the venue gives, and the
terminal's ledger shows no order sent twice and the account left flat.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.mt5.codes import Op
from execution_engine.adapters.mt5.keys import key_of
from execution_engine.conformance.catalog import CARDS
from execution_engine.conformance.mt5_venue import (
    NOT_APPLICABLE,
    NOT_APPLICABLE_MT4,
    Mt5SimVenue,
)
from execution_engine.conformance.results import CardStatus, KitReport
from execution_engine.conformance.runner import run_kit

pytestmark = pytest.mark.slow

TIMEOUT_SECONDS = 8.0
PLATFORMS = {"mt5": NOT_APPLICABLE, "mt4": NOT_APPLICABLE_MT4}


@pytest.fixture(scope="module", params=sorted(PLATFORMS))
def kit(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Mt5SimVenue, KitReport]:
    venue = Mt5SimVenue(tmp_path_factory.mktemp("sim"), platform=request.param)
    report = run_kit(venue, tmp_path_factory.mktemp("node"), CARDS, timeout=TIMEOUT_SECONDS)
    return venue, report


def test_every_card_passes_or_says_why_it_does_not_apply(
    kit: tuple[Mt5SimVenue, KitReport],
) -> None:
    venue, report = kit
    skipped = PLATFORMS[venue.platform]
    assert [c.id for c in report.cards] == [c.id for c in CARDS]
    assert report.venue == venue.platform
    assert report.instrument == "EUR/USD.MT5"
    for card in report.cards:
        if card.id in skipped:
            assert card.status is CardStatus.NOT_APPLICABLE, card
            assert card.reason == skipped[card.id]
        else:
            assert card.status is CardStatus.PASS, f"{card.id}: {card.reason}"
            assert card.reason  # what the card saw


def test_the_terminal_received_each_order_once_and_is_left_flat(
    kit: tuple[Mt5SimVenue, KitReport],
) -> None:
    venue, _ = kit
    engine = venue.sim.engine
    orders = engine.handle(Op.HISTORY_ORDERS.value, {"from_ms": 0})["orders"]
    keys = [key_of(order["comment"]) for order in orders]
    assert len(keys) > 30  # the cards traded
    assert all(engine.requests_with_key(key) == 1 for key in keys if key is not None)
    assert engine.net_volume("EURUSD") == Decimal(0)
    assert engine.handle(Op.ORDERS.value, {})["orders"] == []


def test_the_docs_list_every_card_metatrader_skips() -> None:
    page = (Path(__file__).resolve().parents[3] / "docs" / "conformance.md").read_text()
    for card_id in NOT_APPLICABLE_MT4:
        assert card_id in page, card_id
