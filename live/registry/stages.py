"""The stage ladder research → candidate → paper → live, plus the terminal `retired`, and the
rules that say which transitions are allowed. Stages are plain strings (the names used by the
CHECK constraints of promotion_records and strategy_stages), so a str-based enum such as
research.promotion.Stage can be passed in unchanged."""

from __future__ import annotations

import re

from live.registry.errors import RegistryInputError, StageConflictError, StageOrderError

RESEARCH, CANDIDATE, PAPER, LIVE, RETIRED = "research", "candidate", "paper", "live", "retired"
LADDER: tuple[str, ...] = (RESEARCH, CANDIDATE, PAPER, LIVE)
STAGES: tuple[str, ...] = (*LADDER, RETIRED)
ALIAS_STAGES: tuple[str, ...] = (CANDIDATE, PAPER, LIVE)  # the stages MLflow holds an alias for

_NAME = re.compile(r"^[a-z0-9_-]{1,100}$")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryInputError(
            f"strategy name {name!r}: use lower-case letters, digits, _ and - (max 100 chars)"
        )
    return name


def parse_stage(stage: str) -> str:
    value = str(stage)
    if value not in STAGES:
        raise RegistryInputError(f"unknown stage {value!r}: expected one of {', '.join(STAGES)}")
    return value


def check_promotion(name: str, current: str, target: str) -> None:
    """`target` must be the rung right above `current`."""
    if target not in ALIAS_STAGES:
        raise StageOrderError(
            f"cannot promote {name} to {target}: promotions go to candidate, paper or live"
        )
    if current == RETIRED:
        raise StageOrderError(f"{name} is retired: a retired strategy cannot be promoted")
    if current == target:
        raise StageConflictError(f"{name} is already at {target}")
    wanted = LADDER[LADDER.index(target) - 1]
    if current != wanted:
        raise StageOrderError(
            f"cannot promote {name} from {current} to {target}: it must be at {wanted} first "
            f"(the ladder is {' → '.join(LADDER)})"
        )


def check_demotion(name: str, current: str, target: str) -> None:
    """`target` must be a lower rung of the ladder than `current`."""
    if current == RETIRED:
        raise StageOrderError(f"{name} is retired: a retired strategy cannot be demoted")
    if target not in LADDER or LADDER.index(target) >= LADDER.index(current):
        raise StageOrderError(
            f"cannot demote {name} from {current} to {target}: demotion goes to a lower rung "
            f"of {' → '.join(LADDER)}"
        )


def check_retirement(name: str, current: str) -> None:
    if current == RETIRED:
        raise StageConflictError(f"{name} is already retired")
