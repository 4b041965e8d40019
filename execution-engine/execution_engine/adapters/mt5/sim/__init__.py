"""The terminal simulator (`gauntlet sim mt5`): the EA side of the bridge protocol in Python,
on a trade engine faithful to MetaTrader's semantics (netting and hedging accounts, retcodes,
filling modes, pending orders, SL/TP, margin and stop-out, swaps, history)."""
