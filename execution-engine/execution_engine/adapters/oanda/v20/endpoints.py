"""Where the v20 API lives: OANDA's practice and live hosts, or a simulator on loopback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class V20Endpoint:
    """The REST and the streaming base URLs (OANDA serves streams from their own hosts)."""

    rest_url: str
    stream_url: str


PRACTICE = V20Endpoint(
    rest_url="https://api-fxpractice.oanda.com", stream_url="https://stream-fxpractice.oanda.com"
)
LIVE = V20Endpoint(
    rest_url="https://api-fxtrade.oanda.com", stream_url="https://stream-fxtrade.oanda.com"
)


def endpoint_for(host: str, port: int, *, tls: bool = False) -> V20Endpoint:
    """One server serving both REST and streams (the simulator)."""
    url = f"{'https' if tls else 'http'}://{host}:{port}"
    return V20Endpoint(rest_url=url, stream_url=url)


def named_endpoint(name: str) -> V20Endpoint:
    """`practice` or `live`; ValueError with one line otherwise."""
    known = {"practice": PRACTICE, "live": LIVE}
    try:
        return known[name.lower()]
    except KeyError:
        raise ValueError(f"unknown OANDA environment {name!r}: expected practice or live") from None
