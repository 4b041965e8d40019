"""Search spaces over a registered strategy's parameters: grid, random and (for Optuna) ranges.

A space maps parameter names to either an explicit list of values or a `Range`. Every
candidate is validated by the strategy's own `Params`; combinations it rejects (e.g.
fast >= slow) are skipped and counted, never fatal.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from research.engine.warmup import warmup_problem
from research.errors import ResearchInputError
from strategies import plugins
from strategies.base import Strategy


@dataclass(frozen=True)
class Range:
    """Inclusive numeric range; `step` discretizes it (grid), `log` samples it log-uniformly."""

    low: float
    high: float
    step: float | None = None
    integer: bool = False
    log: bool = False

    def __post_init__(self) -> None:
        bounds = {"low": self.low, "high": self.high, "step": self.step}
        for part, value in bounds.items():
            if value is not None and not math.isfinite(value):
                raise ResearchInputError(
                    f"range {self.low}:{self.high}{'' if self.step is None else f':{self.step}'}"
                    f" has a {part} that is not a finite number ({value})"
                )
        if self.high < self.low:
            raise ResearchInputError(f"range {self.low}:{self.high} is empty (high < low)")
        if self.step is not None and self.step <= 0:
            raise ResearchInputError(f"range step must be > 0, got {self.step}")

    def count(self) -> int:
        """The number of grid values, computed without building them."""
        if self.step is None:
            if not self.integer:
                raise ResearchInputError(
                    f"float range {self.low}:{self.high} needs a step for a grid"
                )
            return int(self.high) - int(self.low) + 1
        return int(np.floor((self.high - self.low) / self.step + 1e-9)) + 1

    def grid(self) -> list[Any]:
        count = self.count()
        if self.step is None:
            return list(range(int(self.low), int(self.low) + count))
        return [self._stepped(i) for i in range(count)]

    def _stepped(self, i: int) -> Any:
        """The i-th value of a stepped grid."""
        value = self.low + i * (self.step or 0.0)
        return round(value) if self.integer else round(value, 12)

    def sample(self, rng: np.random.Generator) -> Any:
        if self.step is not None:  # one grid value, drawn without building the grid
            return self._stepped(int(rng.integers(0, self.count())))
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            return float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))
        return float(rng.uniform(self.low, self.high))


Dimension = Sequence[Any] | Range
Space = Mapping[str, Dimension]


@dataclass
class Candidates:
    """Validated parameter sets, plus the rejected ones (with the strategy's reason)."""

    params: list[dict[str, Any]]
    rejected: list[tuple[dict[str, Any], str]]


def _check_names(strategy: str, space: Space, fixed: Mapping[str, Any]) -> type[Strategy[Any]]:
    cls = plugins.get(strategy)
    both = sorted(set(space) & set(fixed))
    if both:
        raise ResearchInputError(
            f"{', '.join(both)} is both swept and held fixed: give it as a grid or as a fixed "
            "parameter, not both (the fixed value was ignored)"
        )
    known = set(cls.Params.model_fields)
    unknown = sorted((set(space) | set(fixed)) - known)
    if unknown:
        raise ResearchInputError(
            f"{strategy} has no parameter {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    if not space:
        raise ResearchInputError(f"empty search space for {strategy}: give at least one parameter")
    for name, dim in space.items():
        if not isinstance(dim, Range) and len(dim) == 0:
            raise ResearchInputError(f"parameter {name!r} has no values to try")
    return cls


def validate(
    cls: type[Strategy[Any]], raw: Iterable[dict[str, Any]], fixed: Mapping[str, Any]
) -> Candidates:
    out = Candidates([], [])
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for combo in raw:
        merged = {**fixed, **combo}
        try:
            params = cls.Params(**merged).model_dump()
        except ValidationError as err:
            out.rejected.append((merged, err.errors()[0]["msg"]))
            continue
        key = tuple(sorted(params.items()))
        if key not in seen:  # duplicates would only waste compute
            seen.add(key)
            out.params.append(params)
    return out


def count_combinations(space: Space) -> int:
    """The size of the grid over `space`: the product of its axis lengths, nothing built."""
    return math.prod(dim.count() if isinstance(dim, Range) else len(dim) for dim in space.values())


def check_size(count: int, max_combos: int | None, what: str = "combinations") -> None:
    """Refuse a search of more than `max_combos` (None: no limit) candidates."""
    if max_combos is not None and count > max_combos:
        raise ResearchInputError(
            f"{count:,} {what} is over the limit of {max_combos:,} (max_combos; --max-combos "
            "on the command line): narrow the search, or raise the limit if you mean it"
        )


def grid(
    strategy: str,
    space: Space,
    fixed: Mapping[str, Any] | None = None,
    max_combos: int | None = None,
) -> Candidates:
    """Every combination of the listed values (ranges need a step, or be integer); a grid
    of more than `max_combos` combinations is refused before any is built."""
    fixed = dict(fixed or {})
    cls = _check_names(strategy, space, fixed)
    check_size(count_combinations(space), max_combos)
    names = list(space)
    axes = [d.grid() if isinstance(d, Range) else list(d) for d in space.values()]
    raw = (dict(zip(names, values, strict=True)) for values in itertools.product(*axes))
    return _nonempty(strategy, validate(cls, raw, fixed))


def random(
    strategy: str,
    space: Space,
    n_iter: int,
    seed: int = 0,
    fixed: Mapping[str, Any] | None = None,
    max_combos: int | None = None,
) -> Candidates:
    """`n_iter` independent draws (uniform per dimension; lists are sampled uniformly)."""
    if n_iter < 1:
        raise ResearchInputError(f"random search needs n_iter >= 1, got {n_iter}")
    check_size(n_iter, max_combos, "random draws")
    fixed = dict(fixed or {})
    cls = _check_names(strategy, space, fixed)
    rng = np.random.default_rng(seed)

    def draw(dim: Dimension) -> Any:
        if isinstance(dim, Range):
            return dim.sample(rng)
        return dim[int(rng.integers(0, len(dim)))]

    raw = ({name: draw(dim) for name, dim in space.items()} for _ in range(n_iter))
    return _nonempty(strategy, validate(cls, raw, fixed))


def fitting_warmup(strategy: str, cands: Candidates, n_bars: int) -> Candidates:
    """`cands` less the parameter sets whose warm-up covers all `n_bars` bars (they would
    trade nothing); those are rejected with the reason, and none left is bad input."""
    cls = plugins.get(strategy)
    kept: list[dict[str, Any]] = []
    rejected = list(cands.rejected)
    for params in cands.params:
        # Already validated: model_construct skips a second validation of every set.
        problem = warmup_problem(cls(cls.Params.model_construct(**params)), n_bars)
        if problem is None:
            kept.append(params)
        else:
            rejected.append((params, problem))
    return _nonempty(strategy, Candidates(kept, rejected))


def _nonempty(strategy: str, cands: Candidates) -> Candidates:
    if not cands.params:
        reason = cands.rejected[0][1] if cands.rejected else "no combinations"
        raise ResearchInputError(
            f"every one of the {len(cands.rejected)} parameter combinations is rejected by "
            f"{strategy} (first reason: {reason})"
        )
    return cands


def parse_dimension(text: str) -> tuple[str, Dimension]:
    """CLI syntax: `name=1,2,3` (values), `name=5:50:5` (inclusive range with step),
    `name=5:50` (integer range, or a continuous one if either bound has a '.')."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise ResearchInputError(f"expected name=values or name=low:high[:step], got {text!r}")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise ResearchInputError(f"range for {name!r} must be low:high[:step], got {spec!r}")
        is_float = any("." in p or "e" in p.lower() for p in parts)
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise ResearchInputError(f"range for {name!r} is not numeric: {spec!r}") from None
        step = nums[2] if len(parts) == 3 else None
        return name, Range(nums[0], nums[1], step, integer=not is_float)
    return name, [_scalar(v.strip()) for v in spec.split(",") if v.strip()]


def _scalar(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text
