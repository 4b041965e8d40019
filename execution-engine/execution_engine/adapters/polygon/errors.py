"""What can go wrong talking to Polygon.io, as typed exceptions with one-line messages.

Every message is one line and never holds the API key: a caller prints `str(exc)` as is.
"""

from __future__ import annotations


class PolygonError(Exception):
    """A request Polygon refused or answered with something unusable.

    status is the HTTP status (0 when there was none, e.g. a WebSocket or paging fault).
    """

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = " ".join(message.split())  # one line whatever the server sent
        super().__init__(self.message)


class Unauthorized(PolygonError):  # noqa: N818 - the name the shared Polygon contract gives it
    """401/403: the key is unknown or not entitled to the data asked for."""


class NotFoundError(PolygonError):
    """404: no such ticker or no data for it."""


class BadRequestError(PolygonError):
    """400: a parameter Polygon cannot take (a bad date, timespan, limit...)."""


class RateLimited(PolygonError):  # noqa: N818 - the name the shared Polygon contract gives it
    """429 still, after every retry with backoff."""


class ServerError(PolygonError):
    """5xx still, after every retry, or the connection failed every time."""


class MalformedResponseError(PolygonError):
    """A body that is not the JSON Polygon documents for the endpoint."""


class PageLoopError(PolygonError):
    """Pagination went back to a page already read (a next_url seen before)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)


class AuthFailedError(PolygonError):
    """The WebSocket answered auth_failed: a wrong key is not retried."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)


class StreamClosedError(PolygonError):
    """The WebSocket closed and may not reconnect (closed by us or out of reconnects)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)
