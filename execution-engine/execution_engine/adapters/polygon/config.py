"""The Polygon data client's configuration (serializable: URLs and names only).

The API key is a secret NAME (`api_key_secret`), resolved at connect time by the
`SecretResolver` bound into the factory (factories.py); its value never sits in a config.
"""

from __future__ import annotations

from nautilus_trader.config import LiveDataClientConfig

from execution_engine.adapters.polygon.providers import POLYGON, Market

# The node's name for the Polygon data client (data clients are registered by client id).
POLYGON_CLIENT = POLYGON
DEFAULT_REST_URL = "https://api.polygon.io"
DEFAULT_WS_URL = "wss://socket.polygon.io"  # delayed data: wss://delayed.polygon.io
DEFAULT_KEY_SECRET = "POLYGON_API_KEY"


class PolygonDataClientConfig(LiveDataClientConfig, frozen=True, kw_only=True):
    """Polygon's REST API and WebSocket clusters.

    `tickers` are loaded as instruments at connect ("C:EURUSD", "X:BTCUSD", "AAPL"); others
    are loaded when first subscribed to. `markets` are the clusters this client may open (one
    stream each, on the first subscription of that market). `instruments_file` is a YAML of
    instrument definitions beside the built-in ones (docs/instruments.md).
    """

    api_key_secret: str = DEFAULT_KEY_SECRET
    base_url: str = DEFAULT_REST_URL
    ws_url: str = DEFAULT_WS_URL
    markets: tuple[str, ...] = tuple(m.value for m in Market)
    tickers: tuple[str, ...] = ()
    venue: str = POLYGON
    instruments_file: str | None = None
    heartbeat_seconds: float = 30.0
    max_reconnects: int | None = None
