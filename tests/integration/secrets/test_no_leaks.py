"""Secrets never appear in logs, stderr, exception messages or reprs (captured and scanned)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from live.secrets import SecretNotFoundError, VaultProvider, rotate, stale_keys
from live.settings import load_settings
from tests.fixtures.vault import VaultServer

pytestmark = pytest.mark.services

VALUES = ("leak-canary-1-Zq8", "leak-canary-2-Rk4")


def test_operations_never_print_log_or_raise_the_values(
    vault: VaultProvider,
    vault_server: VaultServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 and hvac included
    texts: list[str] = []
    vault.put("api_key", SecretStr(VALUES[0]))
    value = vault.get("api_key")
    rotate(vault, "api_key", SecretStr(VALUES[1]))
    texts += [
        repr(value),
        str(value),
        repr(vault),
        repr(vault.metadata("api_key")),
        repr(vault_server),
    ]
    texts += [repr(stale_keys(vault, 90, now=datetime.now(UTC) + timedelta(days=100)))]
    with pytest.raises(SecretNotFoundError) as missing:
        vault.get("missing")
    texts += [str(missing.value), repr(missing.value)]
    logging.getLogger("gauntlet.test").info(
        "settings: %s", load_settings(vault={"token": VALUES[0]})
    )
    captured = capsys.readouterr()
    texts += [caplog.text, captured.out, captured.err]
    assert len(caplog.records) > 0  # the scan covered real log traffic (urllib3 requests at least)
    for text in texts:
        for secret in (*VALUES, vault_server.token.get_secret_value()):
            assert secret not in text
