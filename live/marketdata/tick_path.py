"""The tick path wired together; bars go out with deterministic ids, so replaying the same
ticks (a restarted feed, a re-run) publishes nothing twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy.typing as npt

from bus.messages import Bar, Envelope
from bus.protocol import Bus
from marketdata.aggregate import BarAggregator, OpenBar
from marketdata.ticks.normalize import normalize
from marketdata.ticks.validate import Rejection, TickValidator
from marketdata.timeframes import Timeframe


@dataclass
class TickPathReport:
    accepted: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    bars_published: int = 0
    bars_duplicate: int = 0


class TickPath:
    def __init__(
        self, bus: Bus, *, timeframe: str | Timeframe = "1m", source: str = "marketdata"
    ) -> None:
        self._bus = bus
        self._source = source
        self.validator = TickValidator()
        self.aggregator = BarAggregator(timeframe)

    async def process(self, raw: Mapping[str, Sequence[Any] | npt.NDArray[Any]]) -> TickPathReport:
        """One batch of raw updates: rejected rows are reported, closed bars published."""
        accepted, rejections = self.validator.validate(normalize(raw))
        report = TickPathReport(accepted=len(accepted), rejections=rejections)
        await self._publish(self.aggregator.update(accepted), report)
        return report

    async def flush(self) -> TickPathReport:
        report = TickPathReport()
        await self._publish(self.aggregator.flush(), report)
        return report

    async def _publish(self, bars: list[tuple[str, int, OpenBar]], report: TickPathReport) -> None:
        for instrument, start_ns, bar in bars:
            ack = await self._bus.publish(
                self._bus.subjects.bars(instrument), self._envelope(instrument, start_ns, bar)
            )
            report.bars_published += not ack.duplicate
            report.bars_duplicate += ack.duplicate

    def _envelope(self, instrument: str, start_ns: int, bar: OpenBar) -> Envelope:
        timeframe = self.aggregator.timeframe
        start = datetime.fromtimestamp(start_ns / 1e9, UTC)
        payload = Bar(
            instrument=instrument,
            timeframe=timeframe,
            start=start,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            ticks=bar.ticks,
        )
        return Envelope.of(
            payload, source=self._source, id=f"bar:{instrument}:{timeframe}:{start_ns}"
        )
