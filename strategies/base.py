"""The common decision interface: one `Strategy` contract for both engines.

A strategy maps bars to a *target position* per bar: the fraction of allocated capital
to hold, in [-1, 1], sign giving direction. NaN means "no opinion yet" (warm-up).

The vectorized engine calls `target` once over the whole history; the event-driven host
calls it on a rolling window at each bar close and trades to the last value. Both rely on
the same guarantee: the value at bar t depends only on bars 0..t (causality), which the
look-ahead check verifies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from strategies.bars import is_panel, validate_bars
from strategies.plugin_errors import compute_fault, origin

__all__ = ["InvalidParamsError", "Strategy", "StrategyOutputError", "StrategyParams"]


class StrategyParams(BaseModel):
    """Base for strategy parameters: frozen, typed, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class InvalidParamsError(ValueError):
    """Parameters a strategy rejects; the message names the strategy and the field."""


class StrategyOutputError(ValueError):
    """A strategy produced a target that is not finite or outside [-1, 1] after warm-up."""


P = TypeVar("P", bound=StrategyParams)


def _describe_validation_error(strategy: str, err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        msg = str(e["msg"]).removeprefix("Value error, ")
        field = ".".join(str(x) for x in e["loc"])
        # Cross-field rules have no location; their messages name the fields themselves.
        parts.append(f"{field}: {msg}" if field else msg)
    return f"{strategy}: invalid parameters: " + "; ".join(parts)


class Strategy(ABC, Generic[P]):
    """Base class of every vectorizable decider.

    Subclasses set `name` and `Params`, and implement `warmup` and `compute`
    (single-instrument bars in, target Series out). `target` adds panel dispatch,
    warm-up masking and output validation, so subclasses stay small.
    """

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]

    def __init__(self, params: P | None = None, /, **kwargs: Any) -> None:
        if params is not None and kwargs:
            raise InvalidParamsError(f"{self.name}: pass either a Params object or keywords")
        if params is None:
            try:
                params = self.Params(**kwargs)  # type: ignore[assignment]  # Params is P
            except ValidationError as err:
                raise InvalidParamsError(_describe_validation_error(self.name, err)) from None
        elif not isinstance(params, self.Params):
            raise InvalidParamsError(
                f"{self.name}: expected {self.Params.__name__}, got {type(params).__name__}"
            )
        self.params: P = params  # type: ignore[assignment]  # narrowed by the checks above

    @property
    @abstractmethod
    def warmup(self) -> int:
        """Number of leading bars whose target is NaN (the strategy has no opinion yet)."""

    @abstractmethod
    def compute(self, bars: pd.DataFrame) -> pd.Series:
        """Target for one instrument: a Series aligned to `bars.index`. Must be causal."""

    def target(self, bars: pd.DataFrame) -> pd.Series | pd.DataFrame:
        """Target position per bar (Series), or per bar and instrument for a panel (DataFrame).

        A panel has two-level columns (instrument, field); each instrument is decided
        independently unless a subclass overrides `target_panel`.
        """
        validate_bars(bars)
        if is_panel(bars):
            return self.target_panel(bars)
        return self._checked(self._compute(bars), bars.index)

    def target_panel(self, bars: pd.DataFrame) -> pd.DataFrame:
        instruments = list(dict.fromkeys(bars.columns.get_level_values(0)))
        out = {inst: self._checked(self._compute(bars[inst]), bars.index) for inst in instruments}
        return pd.DataFrame(out, index=bars.index)

    def _compute(self, bars: pd.DataFrame) -> pd.Series:
        """`compute`, with an exception from a user's plugin turned into bad input (naming its
        file and line); an exception from one of Gauntlet's own strategies stays a bug."""
        try:
            return self.compute(bars)
        except (StrategyOutputError, InvalidParamsError):
            raise
        except Exception as exc:
            fault = compute_fault(type(self), self.name, exc)
            if fault is None:
                raise
            raise fault from exc

    def _checked(self, raw: object, index: pd.Index) -> pd.Series:
        if not isinstance(raw, pd.Series):
            raise StrategyOutputError(
                f"{self.name}{origin(type(self))}: compute must return a pandas Series aligned "
                f"to the bars, got {type(raw).__name__ if raw is not None else 'None'}"
            )
        if not raw.index.equals(index):
            raise StrategyOutputError(f"{self.name}: target index does not match the bars")
        try:
            values = raw.to_numpy(dtype=np.float64, copy=True)
        except (TypeError, ValueError):
            example = next((v for v in raw if not isinstance(v, int | float)), None)
            raise StrategyOutputError(
                f"{self.name}{origin(type(self))}: target is not numeric "
                f"(dtype {raw.dtype}, e.g. {example!r}): give positions in [-1, 1]"
            ) from None
        values[: min(self.warmup, len(values))] = np.nan
        after = values[self.warmup :]
        bad = ~np.isnan(after) & ((~np.isfinite(after)) | (np.abs(after) > 1.0 + 1e-12))
        if bad.any():
            i = int(np.argmax(bad)) + self.warmup
            raise StrategyOutputError(
                f"{self.name}: target {values[i]!r} at {index[i]} is not a finite value in [-1, 1]"
            )
        return pd.Series(values, index=index, name=raw.name or "target")

    @property
    def identity(self) -> dict[str, Any]:
        """Name and parameters: stored with every result so it can be reproduced."""
        return {"strategy": self.name, "params": self.params.model_dump(mode="json")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{type(self).__name__}({args})"
