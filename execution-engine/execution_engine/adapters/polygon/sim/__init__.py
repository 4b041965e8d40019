"""The Polygon.io simulator: REST and WebSocket on one port, from Gauntlet's bar data.

`PolygonSimulator(config)` runs it in a thread (`gauntlet sim polygon` in the foreground).
Code written for Polygon's real API works against it by pointing the base URL at it:
REST at `http://HOST:PORT/v2/aggs/...`, the feeds at `ws://HOST:PORT/{stocks,forex,crypto}`.
Faults on demand through `simulator.faults` or `POST /__sim__/faults`.
"""
