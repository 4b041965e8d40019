"""Venue SIM for paper runs: bars replayed as a live feed (data.py) into NautilusTrader's
sandbox, a simulated exchange behind a live execution client (execution.py).

Import from the modules (config, data, execution, providers, factories), as with
NautilusTrader's adapters; this package imports nothing so that looking up an instrument
(providers) does not load the live clients.
"""
