"""Polygon.io (now also branded Massive): market data over REST and WebSocket; a data vendor,
no execution.

Polygon sells prices, it does not take orders, so this adapter has a data client
(`data.py`, `PolygonDataClient`: quotes, trades and minute bars from the WebSocket feeds,
historical bars from REST aggregates) and no `execution.py`: there is nothing to execute on.
A node that trades on a venue and watches Polygon gets the Polygon data client beside that
venue's own clients. Imports nothing, so a lookup in providers.py does not load the clients.
"""
