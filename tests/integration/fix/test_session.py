"""The session layer over real TLS sockets: logon, verification, credentials, sequence numbers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.fix.session import FixInitiator, FixLogonError
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.adapters.fix.sinks import QueueSink
from execution_engine.adapters.fix.tls import TlsVerificationError
from tests.integration.fix.conftest import SECRETS, Pair, resolver, venue_config


def test_logs_on_over_tls_with_verification(pair: Pair) -> None:
    assert pair.initiator.is_logged_on
    sender, target = pair.initiator.sequence_numbers()
    assert sender >= 2 and target >= 2  # both Logons counted
    store = pair.initiator.folder / "store"
    assert any(p.name.endswith(".seqnums") for p in store.iterdir())
