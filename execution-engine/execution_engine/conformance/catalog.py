"""Every card, in the order a run takes them, and `select` for `--cards ID,...`."""

from __future__ import annotations

from collections.abc import Sequence

from execution_engine.conformance import (
    cards_cancel,
    cards_crash,
    cards_limit,
    cards_market,
    cards_modify,
    cards_reject,
    cards_stop,
)
from execution_engine.conformance.card import Card

# Market first (TC-E06 then closes what E01..E04 opened), crash cards last (a restart).
CARDS: tuple[Card, ...] = (
    *cards_market.CARDS,
    *cards_limit.CARDS,
    *cards_stop.CARDS,
    *cards_modify.CARDS,
    *cards_cancel.CARDS,
    *cards_reject.CARDS,
    *cards_crash.CARDS,
)
_BY_ID = {card.id: card for card in CARDS}


class UnknownCardError(ValueError):
    """A card id the kit does not have; the message lists the ones it has."""


def select(ids: Sequence[str] = ()) -> list[Card]:
    """The cards named by `ids` (any case), in run order; all of them when `ids` is empty."""
    if not ids:
        return list(CARDS)
    wanted = {i.strip().upper() for i in ids if i.strip()}
    unknown = sorted(wanted - _BY_ID.keys())
    if unknown:
        raise UnknownCardError(
            f"unknown card id(s) {', '.join(unknown)}; the kit has {', '.join(_BY_ID)}"
        )
    return [card for card in CARDS if card.id in wanted]
