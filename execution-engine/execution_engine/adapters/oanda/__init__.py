"""OANDA (issue 14): the v20 REST and streaming API (`v20/`, the wire), its simulator
(`sim/`), and NautilusTrader's data and execution clients on it (config.py, data.py,
execution.py, providers.py, factories.py; hub.py shares one V20Client between them).

Imports nothing, so a lookup in providers.py does not load the live clients.
"""
