"""Per-terminal tokens and the mutual challenge-response of the bridge protocol
(docs/mt5-bridge-protocol.md, "Authentication").

A token is `gt1.<terminal id>.<expires, unix seconds>.<secret>`, and the whole string is the
HMAC key, so it never crosses the wire: the EA proves it knows the token with `auth_mac`
over the bridge's fresh nonce, the bridge proves it with `welcome_mac` over the EA's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from execution_engine.adapters.mt5.codes import ErrorCode
from execution_engine.adapters.mt5.protocol import VERSIONS, Auth

TOKEN_PREFIX = "gt1"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_TERMINAL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class TokenError(ValueError):
    """A token that is not `gt1.<terminal>.<expires>.<secret>` (one line, never the secret)."""


@dataclass(frozen=True)
class Token:
    """A parsed terminal token; `text` is the whole token, the HMAC key."""

    terminal: str
    expires_at: datetime
    secret: str
    text: str

    @classmethod
    def parse(cls, text: str) -> Token:
        prefix, _, rest = text.partition(".")
        if prefix != TOKEN_PREFIX:
            raise TokenError(f"a terminal token starts with {TOKEN_PREFIX!r}.")
        terminal, expires, secret = _split_rest(rest)
        if not _TERMINAL.match(terminal):
            raise TokenError("the token's terminal id is empty or not A-Z a-z 0-9 _ . : -")
        if not expires.isdigit():
            raise TokenError("the token's expiry is not a unix time in seconds")
        if not _SECRET.match(secret):
            raise TokenError("the token's secret is not 43 base64url characters")
        return cls(terminal, datetime.fromtimestamp(int(expires), UTC), secret, text)

    def __repr__(self) -> str:  # never the secret, whatever logs a Token
        return f"Token(terminal={self.terminal!r}, expires_at={self.expires_at.isoformat()})"

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def _split_rest(rest: str) -> tuple[str, str, str]:
    # The terminal id may hold dots; the expiry and the secret never do.
    parts = rest.rsplit(".", 2)
    if len(parts) != 3:
        raise TokenError("a terminal token is gt1.<terminal>.<expires>.<secret>")
    return parts[0], parts[1], parts[2]


def new_token(terminal: str, expires_at: datetime) -> str:
    """A fresh token for `terminal`, valid until `expires_at` (timezone-aware)."""
    if expires_at.tzinfo is None:
        raise TokenError("a token's expiry needs a timezone (UTC)")
    text = f"{TOKEN_PREFIX}.{terminal}.{int(expires_at.timestamp())}.{secrets.token_urlsafe(32)}"
    Token.parse(text)  # a terminal id the format cannot carry fails here, not at logon
    return text


def new_nonce() -> str:
    """32 hex digits, fresh for each hello and each auth."""
    return secrets.token_hex(16)


def _mac(token: str, text: str) -> str:
    return hmac.new(token.encode(), text.encode(), hashlib.sha256).hexdigest()


def auth_mac(token: str, bridge_nonce: str, terminal: str, ea_nonce: str) -> str:
    """What the EA sends in `auth`: proves it holds the token, bound to this hello."""
    return _mac(token, f"auth|{bridge_nonce}|{terminal}|{ea_nonce}")


def welcome_mac(token: str, ea_nonce: str, bridge_nonce: str) -> str:
    """What the bridge sends in `welcome`: proves to the EA that it holds the token too."""
    return _mac(token, f"welcome|{ea_nonce}|{bridge_nonce}")


def new_auth(
    token: str,
    bridge_nonce: str,
    terminal: str,
    *,
    platform: Literal["mt5", "mt4"],
    login: int,
    broker: str,
    version: int = 1,
) -> Auth:
    """The EA's `auth` answering a hello: a fresh nonce of its own, and `auth_mac` over both."""
    ea_nonce = new_nonce()
    return Auth(
        version=version,
        terminal=terminal,
        platform=platform,
        login=login,
        broker=broker,
        nonce=ea_nonce,
        mac=auth_mac(token, bridge_nonce, terminal, ea_nonce),
    )


def welcome_verified(token: str, auth: Auth, bridge_nonce: str, mac: str) -> bool:
    """Whether a welcome's `mac` proves, to the EA that sent `auth`, that the bridge holds
    the token too (compared in constant time)."""
    expected = welcome_mac(token, auth.nonce, bridge_nonce)
    return hmac.compare_digest(expected.encode(), mac.encode())


def verify_auth(token: str, auth: Auth, bridge_nonce: str, now: datetime) -> ErrorCode | None:
    """None when `auth` answers this hello with this token; else the denial's reason, checked
    in the doc's order: version, terminal, expiry, then the mac in constant time."""
    parsed = Token.parse(token)
    if auth.version not in VERSIONS:
        return ErrorCode.VERSION_MISMATCH
    if not hmac.compare_digest(auth.terminal.encode(), parsed.terminal.encode()):
        return ErrorCode.UNKNOWN_TERMINAL
    if parsed.expired(now):
        return ErrorCode.TOKEN_EXPIRED
    expected = auth_mac(token, bridge_nonce, auth.terminal, auth.nonce)
    if not hmac.compare_digest(expected.encode(), auth.mac.encode()):
        return ErrorCode.BAD_TOKEN
    return None
