"""The registry's checks of a requested change: a valid strategy name, a known stage, and a
transition the ladder allows. The ladder itself (stages, order, transitions) is owned by
research.promotion.stages; this module words its refusals as registry errors."""

from __future__ import annotations

import re

from live.registry.errors import RegistryInputError, StageConflictError, StageOrderError
from research.promotion.stages import LADDER, STAGES, Stage, is_lower, rung_below

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
    wanted = rung_below(target)
    if wanted is None:
        raise StageOrderError(
            f"cannot promote {name} to {target}: promotions go to candidate, paper or live"
        )
    if current == Stage.RETIRED:
        raise StageOrderError(f"{name} is retired: a retired strategy cannot be promoted")
    if current == target:
        raise StageConflictError(f"{name} is already at {target}")
    if current != wanted:
        raise StageOrderError(
            f"cannot promote {name} from {current} to {target}: it must be at {wanted} first "
            f"(the ladder is {' → '.join(LADDER)})"
        )


def check_demotion(name: str, current: str, target: str) -> None:
    """`target` must be a lower rung of the ladder than `current`."""
    if current == Stage.RETIRED:
        raise StageOrderError(f"{name} is retired: a retired strategy cannot be demoted")
    if not is_lower(target, current):
        raise StageOrderError(
            f"cannot demote {name} from {current} to {target}: demotion goes to a lower rung "
            f"of {' → '.join(LADDER)}"
        )


def check_retirement(name: str, current: str) -> None:
    if current == Stage.RETIRED:
        raise StageConflictError(f"{name} is already retired")
