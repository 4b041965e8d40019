"""`Card`: one conformance check, its id and name (the spec's where it has one) and group."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from execution_engine.conformance.context import CardContext

# A card's check: returns one line of what it saw when the venue passed; raises CardFailedError
# (the venue did not do it) or NotApplicableError (this venue cannot be asked).
Check = Callable[[CardContext], str]


@dataclass(frozen=True)
class Card:
    id: str  # TC-Exx: NautilusTrader's Execution Testing Spec; GC-xx: Gauntlet's own
    name: str
    group: str
    check: Check
    simulator_only: bool = False  # needs MarketControl or FaultControl (docs/conformance.md)
