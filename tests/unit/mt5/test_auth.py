"""Terminal tokens and the challenge-response: a good auth verifies, and each way of
failing gives its own reason, in the doc's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from execution_engine.adapters.mt5.auth import (
    Token,
    TokenError,
    auth_mac,
    new_auth,
    new_nonce,
    new_token,
    verify_auth,
    welcome_mac,
    welcome_verified,
)
from execution_engine.adapters.mt5.codes import ErrorCode
from execution_engine.adapters.mt5.protocol import Auth

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TOKEN = new_token("term.1", NOW + timedelta(days=30))


def _auth(token: str, bridge_nonce: str, *, terminal: str = "term.1", version: int = 1) -> Auth:
    return new_auth(
        token, bridge_nonce, terminal, platform="mt5", login=1, broker="B", version=version
    )


def test_a_token_parses_back() -> None:
    token = Token.parse(TOKEN)
    assert token.terminal == "term.1"
    assert token.expires_at == (NOW + timedelta(days=30)).replace(microsecond=0)
    assert len(token.secret) == 43
    assert token.text == TOKEN
    assert token.secret not in repr(token)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("gt2.t.1.x", "starts with 'gt1'"),
        ("gt1.t", "gt1.<terminal>.<expires>.<secret>"),
        ("gt1..1." + "a" * 43, "terminal id"),
        ("gt1.t.soon." + "a" * 43, "expiry"),
        ("gt1.t.1.short", "43 base64url"),
        ("gt1.t.1." + "a" * 42 + "!", "43 base64url"),
    ],
)
def test_a_malformed_token_is_one_line(text: str, names: str) -> None:
    with pytest.raises(TokenError, match=names) as info:
        Token.parse(text)
    assert "\n" not in str(info.value)


def test_new_token_needs_a_timezone() -> None:
    with pytest.raises(TokenError, match="timezone"):
        new_token("t", datetime(2030, 1, 1))


def test_nonces_are_fresh_hex() -> None:
    a, b = new_nonce(), new_nonce()
    assert a != b
    assert len(a) == 32
    assert int(a, 16) >= 0


def test_macs_follow_the_doc_strings() -> None:
    import hashlib
    import hmac

    expected = hmac.new(TOKEN.encode(), b"auth|bn|term.1|en", hashlib.sha256).hexdigest()
    assert auth_mac(TOKEN, "bn", "term.1", "en") == expected
    expected = hmac.new(TOKEN.encode(), b"welcome|en|bn", hashlib.sha256).hexdigest()
    assert welcome_mac(TOKEN, "en", "bn") == expected


def test_a_good_auth_verifies() -> None:
    nonce = new_nonce()
    assert verify_auth(TOKEN, _auth(TOKEN, nonce), nonce, NOW) is None


def test_another_token_is_bad_token() -> None:
    nonce = new_nonce()
    other = new_token("term.1", NOW + timedelta(days=30))
    assert verify_auth(TOKEN, _auth(other, nonce), nonce, NOW) == ErrorCode.BAD_TOKEN


def test_a_replayed_auth_fails_on_the_new_nonce() -> None:
    first = new_nonce()
    auth = _auth(TOKEN, first)
    assert verify_auth(TOKEN, auth, first, NOW) is None
    assert verify_auth(TOKEN, auth, new_nonce(), NOW) == ErrorCode.BAD_TOKEN


def test_expired_token() -> None:
    nonce = new_nonce()
    later = NOW + timedelta(days=31)
    assert verify_auth(TOKEN, _auth(TOKEN, nonce), nonce, later) == ErrorCode.TOKEN_EXPIRED


def test_unknown_terminal() -> None:
    nonce = new_nonce()
    auth = _auth(TOKEN, nonce, terminal="other")
    assert verify_auth(TOKEN, auth, nonce, NOW) == ErrorCode.UNKNOWN_TERMINAL


def test_checks_go_in_the_doc_order() -> None:
    nonce = new_nonce()
    later = NOW + timedelta(days=31)
    bad_everything = _auth("gt1.x.1." + "a" * 43, nonce, terminal="other", version=9)
    assert verify_auth(TOKEN, bad_everything, nonce, later) == ErrorCode.VERSION_MISMATCH
    bad_rest = _auth("gt1.x.1." + "a" * 43, nonce, terminal="other")
    assert verify_auth(TOKEN, bad_rest, nonce, later) == ErrorCode.UNKNOWN_TERMINAL
    assert verify_auth(TOKEN, _auth("nope", nonce), nonce, later) == ErrorCode.TOKEN_EXPIRED


def test_new_auth_signs_its_own_fresh_nonce() -> None:
    bridge_nonce = new_nonce()
    first, second = _auth(TOKEN, bridge_nonce), _auth(TOKEN, bridge_nonce)
    assert first.nonce != second.nonce
    assert first.mac == auth_mac(TOKEN, bridge_nonce, "term.1", first.nonce)
    assert (first.platform, first.login, first.broker, first.version) == ("mt5", 1, "B", 1)


def test_a_welcome_is_verified_only_with_the_token_and_both_nonces() -> None:
    bridge_nonce = new_nonce()
    auth = _auth(TOKEN, bridge_nonce)
    good = welcome_mac(TOKEN, auth.nonce, bridge_nonce)
    assert welcome_verified(TOKEN, auth, bridge_nonce, good)
    other = new_token("term.1", NOW + timedelta(days=30))
    assert not welcome_verified(
        TOKEN, auth, bridge_nonce, welcome_mac(other, auth.nonce, bridge_nonce)
    )
    assert not welcome_verified(TOKEN, auth, new_nonce(), good)
    assert not welcome_verified(TOKEN, auth, bridge_nonce, "caf\u00e9")
