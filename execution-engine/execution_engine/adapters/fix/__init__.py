"""FIX 4.4 venue: a broker reached over a FIX session (QuickFIX, TLS), and its simulator.

Imports nothing, so a lookup in providers.py does not load the QuickFIX engine.
"""
