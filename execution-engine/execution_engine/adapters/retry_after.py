"""An HTTP answer's `Retry-After` in seconds: what the OANDA and Polygon clients wait at least
before asking again after a 429."""

from __future__ import annotations

import httpx


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The header's seconds (never negative); None when absent or an HTTP date (rare from
    these APIs: the caller falls back to its own backoff)."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
