"""The OANDA v20 simulator: the REST endpoints and both streams on one aiohttp port.

Written from OANDA's public v20 reference, independently of the client in `..v20`, so the
two cross-check each other. `OandaSimulator` (simulator.py) runs it in-process.
"""
