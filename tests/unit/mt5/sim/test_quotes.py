"""Quotes from bars: four per bar, O→H→L→C, the bar's price as the bid."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS
from execution_engine.adapters.mt5.sim.quotes import Quote, QuoteReplay, quotes_from_bars


def test_each_bar_gives_its_open_high_low_close_as_bids_with_the_spread_above() -> None:
    bars = pd.DataFrame(
        {"open": [1.1], "high": [1.10051], "low": [1.09949], "close": [1.10002]},
        index=pd.to_datetime(["2024-01-02 00:00"], utc=True),
    )
    quotes = quotes_from_bars(bars, DEFAULT_SYMBOLS[0], spread_points=12)
    assert quotes == [
        Quote(Decimal("1.10000"), Decimal("1.10012")),
        Quote(Decimal("1.10051"), Decimal("1.10063")),
        Quote(Decimal("1.09949"), Decimal("1.09961")),
        Quote(Decimal("1.10002"), Decimal("1.10014")),
    ]


def test_a_replay_pushes_every_quote_once_in_order() -> None:
    pushed: list[Quote] = []
    quotes = [Quote(Decimal(n), Decimal(n + 1)) for n in range(5)]
    replay = QuoteReplay(quotes, 0.0001, pushed.append)
    replay.start()
    assert replay.finished.wait(10)
    replay.stop()
    assert pushed == quotes
    assert replay.pushed == 5
