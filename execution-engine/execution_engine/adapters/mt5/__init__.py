"""MetaTrader 5 (and 4): an Expert Advisor inside the terminal dials out to Gauntlet's bridge
server over the protocol in docs/mt5-bridge-protocol.md; the adapter's clients trade through
that bridge. Imports nothing, so a lookup in providers.py does not load the live clients."""
