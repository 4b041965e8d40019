"""Venue adapters, one package per venue, each shaped like NautilusTrader's (see README.md)."""
