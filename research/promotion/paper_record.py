"""What a paper run folder proves: how much market time it covered, how many fills, the
equity it marked bar by bar, and the slippage its fills realized.

Read from the run journal (execution_engine.paper.journal): `mark` events give bar time and
equity, `order` events the decision price an order was sized at (`price`), `fill` events
the price it got. Realized slippage is the notional-weighted mean adverse distance
(fill − decision) / decision for buys, (decision − fill) / decision for sells; a negative
value means fills were better than the decision price.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from execution_engine.paper.journal import EVENTS_FILE, STATUS_FILE, SUMMARY_FILE, read_events

from research import metrics as rm
from research.promotion.errors import PromotionInputError

NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class PaperRecord:
    run_dir: Path
    strategy: str | None  # from status.json
    params: dict[str, Any] | None  # the strategy's full parameters, from status.json
    state: str | None  # running | finished
    instruments: list[str]
    start: pd.Timestamp  # first marked bar (open time)
    end: pd.Timestamp  # last marked bar (open time)
    duration_days: float  # market time covered: first bar open → last bar close
    orders: int
    fills: int
    equity: pd.Series  # account value at each bar's close, indexed by bar open time
    realized_slippage: float | None  # None when no fill can be matched to a decision price
    slippage_fills: int  # fills that entered the slippage estimate
    content_hash: str  # sha256 of events.jsonl: the record the evidence was drawn from

    @property
    def returns(self) -> np.ndarray:
        return rm.simple_returns(self.equity.to_numpy(dtype=np.float64))

    @property
    def periods_per_year(self) -> float:
        return rm.periods_per_year(pd.DatetimeIndex(self.equity.index))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "strategy": self.strategy,
            "params": self.params,
            "state": self.state,
            "instruments": self.instruments,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "duration_days": self.duration_days,
            "orders": self.orders,
            "fills": self.fills,
            "bars": len(self.equity),
            "final_equity": float(self.equity.iloc[-1]),
            "realized_slippage": self.realized_slippage,
            "slippage_fills": self.slippage_fills,
            "content_hash": self.content_hash,
        }


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PromotionInputError(f"paper run: cannot read {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _equity(marks: list[dict[str, Any]]) -> pd.Series:
    index = pd.to_datetime([int(m["bar_time"]) for m in marks], utc=True)
    equity = pd.Series([float(m["equity"]) for m in marks], index=index, name="paper_equity")
    equity = equity[~equity.index.duplicated(keep="last")].sort_index()
    return equity[np.isfinite(equity.to_numpy())]


def _duration_days(index: pd.DatetimeIndex) -> float:
    """First bar's open to last bar's close; the bar length is the median spacing."""
    stamps = index.asi8
    bar = float(np.median(np.diff(stamps))) if len(stamps) > 1 else 0.0
    return float((stamps[-1] - stamps[0] + bar) / NS_PER_DAY)


def _slippage(events: list[dict[str, Any]]) -> tuple[float | None, int]:
    decision = {
        e["client_order_id"]: float(e["price"])
        for e in events
        if e.get("kind") == "order" and e.get("price") is not None
    }
    weighted, notional, used = 0.0, 0.0, 0
    for fill in (e for e in events if e.get("kind") == "fill"):
        ref = decision.get(fill.get("client_order_id", ""))
        if ref is None or ref <= 0:
            continue
        sign = 1.0 if fill["side"] == "BUY" else -1.0
        size = abs(float(fill["quantity"])) * ref
        weighted += sign * (float(fill["price"]) - ref) / ref * size
        notional += size
        used += 1
    return (weighted / notional if notional > 0 else None), used


def read_paper_record(run_dir: Path) -> PaperRecord:
    """The record of a paper run folder; a folder without marks is not evidence."""
    folder = Path(run_dir)
    events_file = folder / EVENTS_FILE
    if not events_file.is_file():
        raise PromotionInputError(f"paper run {folder}: no {EVENTS_FILE} (not a paper run folder)")
    try:
        return _record(folder, events_file)
    except PromotionInputError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        # The run folder is input: a line that is not an object, a mark without bar_time, an
        # equity that is not a number, bytes that are not UTF-8 (ValueError covers JSON and
        # Unicode errors) or nesting past the parser's depth is a malformed record, not a bug.
        raise PromotionInputError(
            f"paper run {folder}: unreadable or malformed {EVENTS_FILE} or {STATUS_FILE} "
            f"({type(exc).__name__}: {exc})"
        ) from None


def _record(folder: Path, events_file: Path) -> PaperRecord:
    events = read_events(folder)
    if not all(isinstance(e, dict) for e in events):
        raise PromotionInputError(f"paper run {folder}: a line of {EVENTS_FILE} is not an object")
    marks = [e for e in events if e.get("kind") == "mark"]
    if len(marks) < 2:
        raise PromotionInputError(f"paper run {folder}: {len(marks)} marked bars, need at least 2")
    status = _read_json(folder / STATUS_FILE)
    summary = _read_json(folder / SUMMARY_FILE)
    equity = _equity(marks)
    if len(equity) < 2:
        raise PromotionInputError(f"paper run {folder}: fewer than 2 marks with a finite equity")
    slip, used = _slippage(events)
    fills = [e for e in events if e.get("kind") == "fill"]
    return PaperRecord(
        run_dir=folder,
        strategy=status.get("strategy"),
        params=status.get("params") if isinstance(status.get("params"), dict) else None,
        state=status.get("state"),
        instruments=list(status.get("instruments", [])),
        start=pd.Timestamp(equity.index[0]),
        end=pd.Timestamp(equity.index[-1]),
        duration_days=_duration_days(pd.DatetimeIndex(equity.index)),
        orders=int(summary.get("orders", sum(e.get("kind") == "order" for e in events))),
        fills=len(fills),
        equity=equity,
        realized_slippage=slip,
        slippage_fills=used,
        content_hash=hashlib.sha256(events_file.read_bytes()).hexdigest(),
    )
