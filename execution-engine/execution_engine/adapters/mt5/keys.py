"""Gauntlet's marks on a MetaTrader order: the comment key and the magic number.

An MT5/MT4 comment holds at most 31 characters and the server may change its last part, so
the client order id itself does not fit: the key is `gt1:` + 24 hex digits of its SHA-256
(28 characters), found again by prefix. The magic number tells this node's orders from a
person's or another EA's; below 2**31 so MQL4's `int` carries it too.
"""

from __future__ import annotations

import hashlib

KEY_PREFIX = "gt1:"
_KEY_HEX = 24
KEY_LENGTH = len(KEY_PREFIX) + _KEY_HEX
MAX_MAGIC = 2**31 - 1


def comment_key(client_order_id: str) -> str:
    """The comment that marks the order `client_order_id` on the terminal."""
    digest = hashlib.sha256(client_order_id.encode()).hexdigest()
    return KEY_PREFIX + digest[:_KEY_HEX]


def key_of(comment: str) -> str | None:
    """The key a terminal's comment carries (the server may append to it), or None."""
    if not comment.startswith(KEY_PREFIX) or len(comment) < KEY_LENGTH:
        return None
    return comment[:KEY_LENGTH]


def magic_for(trader_id: str) -> int:
    """A stable magic number for a node's trader id, in 1..MAX_MAGIC."""
    digest = int.from_bytes(hashlib.sha256(trader_id.encode()).digest()[:4], "big")
    return digest % MAX_MAGIC + 1
