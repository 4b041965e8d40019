"""The client's request pacing: no more than N starts in any second, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from execution_engine.adapters.oanda.v20.pacing import RequestPacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_burst_beyond_the_limit_waits_for_the_window() -> None:
    clock = FakeClock()
    pacer = RequestPacer(3, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def burst() -> None:
        for _ in range(7):
            await pacer.wait_turn()
            starts.append(clock.now)
            clock.now += 0.01  # each request takes a little time to send

    asyncio.run(burst())
    assert starts[:3] == pytest.approx([100.0, 100.01, 100.02])
    for index in range(3, len(starts)):  # never more than 3 starts within one second
        assert starts[index] - starts[index - 3] >= 1.0 - 1e-9
    assert pacer.waited == pytest.approx(sum(clock.sleeps))


def test_requests_under_the_limit_never_wait() -> None:
    clock = FakeClock()
    pacer = RequestPacer(2, clock=clock, sleep=clock.sleep)

    async def paced() -> None:
        for _ in range(5):
            await pacer.wait_turn()
            clock.now += 0.6

    asyncio.run(paced())
    assert clock.sleeps == []


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RequestPacer(0)
