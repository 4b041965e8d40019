"""The stage ladder research → candidate → paper → live, plus the terminal `retired`: the one
definition of the stages, their order and which transitions are allowed. Research (gates,
evidence, the promotion workflow) and live (the registry) both use it; the values are the exact
strings of the CHECK constraints of promotion_records and strategy_stages, and Stage is a
StrEnum, so a member compares equal to (and is stored as) its plain string."""

from __future__ import annotations

from enum import StrEnum

from research.promotion.errors import PromotionInputError


class Stage(StrEnum):
    RESEARCH = "research"
    CANDIDATE = "candidate"
    PAPER = "paper"
    LIVE = "live"
    RETIRED = "retired"


LADDER: tuple[Stage, ...] = (Stage.RESEARCH, Stage.CANDIDATE, Stage.PAPER, Stage.LIVE)
STAGES: tuple[Stage, ...] = (*LADDER, Stage.RETIRED)
# The stages a promotion can reach; the model registry holds an alias for each.
ALIAS_STAGES: tuple[Stage, ...] = LADDER[1:]


def rung_below(stage: str) -> Stage | None:
    """The rung a strategy must stand on to be promoted to `stage` (None: not a promotion
    target — research is the bottom, retired is off the ladder)."""
    if stage not in ALIAS_STAGES:
        return None
    return LADDER[LADDER.index(Stage(stage)) - 1]


def is_lower(target: str, current: str) -> bool:
    """Whether `target` is a lower rung of the ladder than `current` (a demotion's rule)."""
    if target not in LADDER or current not in LADDER:
        return False
    return LADDER.index(Stage(target)) < LADDER.index(Stage(current))


def next_stage(current: Stage) -> Stage:
    """The rung above `current`; live has none and retired is final."""
    current = Stage(current)
    if current is Stage.RETIRED:
        raise PromotionInputError("a retired strategy cannot be promoted (register a new spec)")
    if current is Stage.LIVE:
        raise PromotionInputError("live is the top stage: there is nothing to promote to")
    return LADDER[LADDER.index(current) + 1]


def check_transition(current: Stage, target: Stage) -> None:
    """Promotion goes one rung at a time: research → candidate → paper → live."""
    expected = next_stage(current)
    if Stage(target) is not expected:
        raise PromotionInputError(
            f"cannot promote from {current} to {target}: the next stage is {expected} "
            "(stages cannot be skipped)"
        )
