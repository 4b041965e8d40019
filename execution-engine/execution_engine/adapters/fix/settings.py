"""QuickFIX session settings, built in code (no .cfg file to keep in step with the TOML).

QuickFIX's SSL socket classes read their TLS settings from the [DEFAULT] section only
(SSLSocketInitiator::onInitialize reads `settings.get()`), so each engine we start holds
one session and everything goes in DEFAULT.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from pathlib import Path

import quickfix as fix

from execution_engine.adapters.fix.config import FixVenueConfig

_DISTRIBUTION = "quickfix-ssl"  # pinned in pyproject.toml; ADR 0006 says why this wheel


def data_dictionary_path() -> Path:
    """FIX44.xml as shipped by the pinned QuickFIX wheel (its share/quickfix folder)."""
    files = importlib.metadata.files(_DISTRIBUTION) or []
    for file in files:
        if file.name == "FIX44.xml":
            return Path(str(file.locate())).resolve()
    raise FileNotFoundError(f"FIX44.xml not found in the {_DISTRIBUTION} distribution")


def _common(store_dir: Path, heartbeat_seconds: int) -> dict[str, str]:
    return {
        "FileStorePath": str(store_dir),
        # A 24-hour session: the venue, not the clock, decides when the day's session ends.
        "StartTime": "00:00:00",
        "EndTime": "00:00:00",
        "UseDataDictionary": "Y",
        "DataDictionary": str(data_dictionary_path()),
        "HeartBtInt": str(heartbeat_seconds),
        "SocketNoDelay": "Y",  # one order per packet, no Nagle delay: the round trip is the metric
        "ValidateUserDefinedFields": "N",
        "TimestampPrecision": "3",
    }


def initiator_settings(
    config: FixVenueConfig, store_dir: Path, reconnect_seconds: int
) -> fix.SessionSettings:
    values = _common(store_dir, config.heartbeat_seconds) | {
        "ConnectionType": "initiator",
        "SocketConnectHost": config.host,
        "SocketConnectPort": str(config.port),
        "ReconnectInterval": str(reconnect_seconds),
        # Outgoing messages are not kept for resend: a Logon in the store would hold the
        # password at rest, and an order resent after a gap could execute twice. QuickFIX
        # answers a ResendRequest with SequenceReset-GapFill; orders in doubt are settled by
        # reconciliation (OrderStatusRequest), never by resending. Sequence numbers persist.
        "PersistMessages": "N",
        "CertificationAuthoritiesFile": str(config.tls.ca_file),
        "CertificateVerifyLevel": "1" if config.tls.verify else "0",
    }
    if config.tls.cert_file is not None and config.tls.key_file is not None:
        values |= {
            "ClientCertificateFile": str(config.tls.cert_file),
            "ClientCertificateKeyFile": str(config.tls.key_file),
        }
    return _session_settings(values, config.sender_comp_id, config.target_comp_id)


def acceptor_settings(
    *,
    port: int,
    sender_comp_id: str,
    target_comp_id: str,
    store_dir: Path,
    server_cert: Path,
    server_key: Path,
    client_ca: Path | None = None,
    heartbeat_seconds: int = 30,
) -> fix.SessionSettings:
    """A broker-side session on `port`; with `client_ca`, clients must present a certificate."""
    values = _common(store_dir, heartbeat_seconds) | {
        "ConnectionType": "acceptor",
        "SocketAcceptPort": str(port),
        "SocketReuseAddress": "Y",
        "PersistMessages": "Y",  # the broker side resends what a client missed
        "ServerCertificateFile": str(server_cert),
        "ServerCertificateKeyFile": str(server_key),
    }
    if client_ca is not None:
        values |= {"CertificationAuthoritiesFile": str(client_ca), "CertificateVerifyLevel": "2"}
    return _session_settings(values, sender_comp_id, target_comp_id)


def _session_settings(values: Mapping[str, str], sender: str, target: str) -> fix.SessionSettings:
    defaults = fix.Dictionary()
    for key, value in values.items():
        defaults.setString(key, value)
    settings = fix.SessionSettings()
    settings.set(defaults)
    settings.set(session_id(sender, target), fix.Dictionary())
    return settings


def session_id(sender: str, target: str) -> fix.SessionID:
    return fix.SessionID("FIX.4.4", sender, target)
