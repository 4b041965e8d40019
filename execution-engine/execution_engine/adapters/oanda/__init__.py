"""OANDA (issue 14): the v20 REST and streaming API (`v20/`, the wire; `quotes.py`, the quote
hot path), its simulator (`sim/`), and NautilusTrader's clients on it: config.py,
data.py (quotes from one pricing stream, candles as bars), execution.py (orders, the
transaction stream applied once per transaction), providers.py (the account's instruments),
factories.py, with hub.py (one V20Client for both clients), translate.py (orders → v20
requests), reconcile.py + queries.py (OANDA records → reports), ledger.py (the last applied
transaction id), bars.py and preflight.py (the live session's checks before the node).

Imports nothing, so a lookup in providers.py does not load the live clients.
"""
