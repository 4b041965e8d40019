"""The real-market fixtures of data/ (data/SOURCES.md), loaded as a user's run loads them.

One loader for every test that runs on them (acceptance pins, the backtesting.py reference,
engine parity): the file's sha256 is checked first, since pins on other data mean nothing, and
the instrument is resolved from the file name (or the name the file needs, as
`--instrument GOOG`), so the bars carry the instrument whose size step, margin and calendar
the engines apply.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from marketdata import load_bars
from marketdata.instruments import resolve_file_instrument

DATA = Path(__file__).with_name("data")
EURUSD_H1 = "eurusd_h1.csv"
GOOG_D1 = "goog_d1.csv"
SHA256 = {
    EURUSD_H1: "f174782ad70c3fe870a4e3e71f7afd063c45a9072577360dfa9423bfda416ebe",
    GOOG_D1: "d222d3c4ac3c345f406363201de995b2c9187af800483cc85f2950042e0f4228",
}
# eurusd_h1 names its instrument (EUR/USD, fx); goog_d1 is no built-in name: the book
# resolves GOOG (a US equity, XNYS).
INSTRUMENT: dict[str, str | None] = {EURUSD_H1: None, GOOG_D1: "GOOG"}


def load_real_bars(file: str) -> pd.DataFrame:
    """The bars of data/`file`, labelled with their instrument (attrs["instrument"])."""
    path = DATA / file
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256[file], f"{file} changed"
    instrument = resolve_file_instrument(path, INSTRUMENT[file])
    return load_bars(path, instrument=instrument.symbol)
