"""Tick validation: each bad row is rejected with its row number and rule, never silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from marketdata import rules
from marketdata.ticks.normalize import TickBatch


@dataclass(frozen=True)
class Rejection:
    row: int
    instrument: str
    rule: str  # "price must be finite and > 0", ...


OUT_OF_ORDER = "timestamp earlier than the instrument's previous tick"


@dataclass
class TickValidator:
    """Stateful across batches: remembers each instrument's latest accepted timestamp."""

    last_ts: dict[str, int] = field(default_factory=dict)

    def validate(self, batch: TickBatch) -> tuple[TickBatch, list[Rejection]]:
        bad_by_rule = (
            ("instrument must not be empty", batch.instrument == ""),
            ("price must be finite and > 0", rules.bad_price(batch.price)),
            ("size must be finite and >= 0", rules.bad_volume(batch.size)),
        )
        rejected = np.zeros(len(batch), dtype=bool)
        rejections: list[Rejection] = []
        for rule, bad in bad_by_rule:  # a row is reported under the first rule it breaks
            newly = bad & ~rejected
            rejections += _report(batch, newly, rule)
            rejected |= newly
        late = self._out_of_order(batch, ~rejected)
        rejections += _report(batch, late, OUT_OF_ORDER)
        rejected |= late
        return batch.take(np.flatnonzero(~rejected)), sorted(rejections, key=lambda r: r.row)

    def _out_of_order(
        self, batch: TickBatch, valid: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        late = np.zeros(len(batch), dtype=bool)
        for name in np.unique(batch.instrument[valid]):
            rows = np.flatnonzero(valid & (batch.instrument == name))
            ts = batch.ts[rows]
            previous = self.last_ts.get(str(name), np.iinfo(np.int64).min)
            late[rows[rules.earlier_than_latest(ts, previous)]] = True
            self.last_ts[str(name)] = int(max(previous, ts.max()))
        return late


def _report(batch: TickBatch, mask: npt.NDArray[np.bool_], rule: str) -> list[Rejection]:
    return [
        Rejection(int(batch.row[i]), str(batch.instrument[i]), rule) for i in np.flatnonzero(mask)
    ]
