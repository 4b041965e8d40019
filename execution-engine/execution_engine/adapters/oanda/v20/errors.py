"""What can go wrong on the v20 wire, as typed exceptions with one-line messages.

A message names the status, OANDA's errorCode and errorMessage, never the token (the client
never puts it in a message, and OANDA's bodies do not echo it).
"""

from __future__ import annotations

import msgspec

from execution_engine.adapters.oanda.v20.models import (
    RejectBody,
    Transaction,
    TransactionRejectReason,
)


class V20Error(Exception):
    """An answer OANDA gave with a non-2xx status."""

    def __init__(self, status: int, error_code: str | None, error_message: str) -> None:
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        super().__init__(self._line())

    def _line(self) -> str:
        code = f" {self.error_code}" if self.error_code else ""
        text = self.error_message or "no error message"
        return f"OANDA v20 HTTP {self.status}{code}: {one_line(text)}"


class Unauthorized(V20Error):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """401: the token is wrong, expired or revoked."""

    def _line(self) -> str:
        return (
            f"OANDA v20 refused the token (HTTP 401): {one_line(self.error_message)}"
            " - check the token secret and that it belongs to this environment (practice/live)"
        )


class Forbidden(V20Error):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """403: the token may not act on this account."""


class NotFound(V20Error):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """404: no such account, instrument, order or trade."""


class RateLimited(V20Error):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """429 after every retry the client was allowed."""

    def __init__(self, status: int, error_code: str | None, error_message: str, attempts: int):
        self.attempts = attempts
        super().__init__(status, error_code, error_message)

    def _line(self) -> str:
        return f"OANDA v20 rate limit (HTTP 429) still hit after {self.attempts} attempts"


class OrderRejected(V20Error):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """OANDA recorded a *_REJECT transaction for an order, trade or position request."""

    def __init__(
        self,
        status: int,
        error_code: str | None,
        error_message: str,
        *,
        reject_reason: str,
        transaction: Transaction | None,
        last_transaction_id: str | None,
    ) -> None:
        self.reject_reason = reject_reason
        self.transaction = transaction
        self.last_transaction_id = last_transaction_id
        super().__init__(status, error_code, error_message)

    def _line(self) -> str:
        return f"OANDA rejected the order: {self.reject_reason} ({describe_reject(self.reject_reason)})"


class StreamStalled(Exception):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """A stream sent nothing (not even a heartbeat) for two heartbeat intervals."""


class MalformedLine(ValueError):  # noqa: N818 - the name the OANDA helpers agreed (issue 14)
    """A stream line that is not a JSON object of a known shape."""


class V20TransportError(Exception):
    """The connection to OANDA failed (refused, reset, timed out) after the retries allowed."""


def one_line(text: str) -> str:
    """`text` with its line breaks folded, cut to a sane length for a log or a CLI."""
    folded = " ".join(text.split())
    return folded if len(folded) <= 300 else folded[:297] + "..."


# Plain words for the reasons a trader meets; the rest read well enough from their names.
_REASON_WORDS: dict[str, str] = {
    TransactionRejectReason.INSUFFICIENT_MARGIN: "not enough margin available for the order",
    TransactionRejectReason.INSUFFICIENT_FUNDS: "not enough funds in the account",
    TransactionRejectReason.INSTRUMENT_NOT_TRADEABLE: "the instrument is not tradeable now (market closed or halted)",
    TransactionRejectReason.INSTRUMENT_UNKNOWN: "OANDA does not know the instrument",
    TransactionRejectReason.INSTRUMENT_PRICE_UNKNOWN: "OANDA has no current price for the instrument",
    TransactionRejectReason.ACCOUNT_NOT_ACTIVE: "the account is not active",
    TransactionRejectReason.ACCOUNT_LOCKED: "the account is locked",
    TransactionRejectReason.ACCOUNT_ORDER_CREATION_LOCKED: "the account may not create orders",
    TransactionRejectReason.UNITS_MIMIMUM_NOT_MET: "the units are below the instrument's minimum trade size",
    TransactionRejectReason.UNITS_LIMIT_EXCEEDED: "the units exceed the instrument's maximum order size",
    TransactionRejectReason.UNITS_PRECISION_EXCEEDED: "the units have more decimals than the instrument allows",
    TransactionRejectReason.PRICE_PRECISION_EXCEEDED: "the price has more decimals than the instrument allows",
    TransactionRejectReason.PRICE_BOUND_INVALID: "the price bound is on the wrong side of the price",
    TransactionRejectReason.CLIENT_ORDER_ID_ALREADY_EXISTS: "an open order already has this client order id",
    TransactionRejectReason.ORDER_DOESNT_EXIST: "no such order (already filled or cancelled?)",
    TransactionRejectReason.TRADE_DOESNT_EXIST: "no such trade (already closed?)",
    TransactionRejectReason.PENDING_ORDERS_ALLOWED_EXCEEDED: "the account has too many pending orders",
    TransactionRejectReason.TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST: "the good-till-date time is in the past",
    TransactionRejectReason.CLOSEOUT_POSITION_DOESNT_EXIST: "there is no position to close",
    TransactionRejectReason.CLOSE_TRADE_UNITS_EXCEED_TRADE_SIZE: "more units to close than the trade holds",
    TransactionRejectReason.INTERNAL_SERVER_ERROR: "an error inside OANDA; try again",
}


def describe_reject(reason: str) -> str:
    """One clear phrase for any reject reason, known to this module or newer than it."""
    if reason in _REASON_WORDS:
        return _REASON_WORDS[reason]
    words = reason.lower().replace("_", " ").replace("mimimum", "minimum")
    for short, long in (("gtd", "good-till-date"), ("doesnt", "does not")):
        words = words.replace(short, long)
    if reason not in TransactionRejectReason.__members__:
        return f"{words} (a reason this client does not know)"
    return words


def error_body(content: bytes) -> RejectBody:
    """The error body of an answer; a body that is not OANDA's JSON becomes its text."""
    try:
        return msgspec.json.decode(content, type=RejectBody)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = content.decode("utf-8", "replace").strip()
        return RejectBody(error_message=text or "no body")


def error_for(status: int, content: bytes) -> V20Error:
    """The typed error for a non-2xx answer (429 aside, which the caller retries)."""
    body = error_body(content)
    reject = body.reject_transaction()
    reason = reject.reject_reason if reject is not None else None
    if reason is None and status == 400 and body.error_code in TransactionRejectReason.__members__:
        reason = body.error_code  # a request refused before OANDA recorded a reject transaction
    if reason:
        return OrderRejected(
            status,
            body.error_code,
            body.error_message,
            reject_reason=reason,
            transaction=reject,
            last_transaction_id=body.last_transaction_id,
        )
    kind: type[V20Error] = {401: Unauthorized, 403: Forbidden, 404: NotFound}.get(status, V20Error)
    return kind(status, body.error_code, body.error_message)
