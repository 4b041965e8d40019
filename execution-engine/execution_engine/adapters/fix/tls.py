"""Checking the venue's certificate before QuickFIX connects.

QuickFIX verifies the chain (CertificateVerifyLevel 1) but not the host name, and when
verification fails it only drops the connection. This check does a TLS handshake with
Python's ssl module against the same CA, host name included, so a certificate that does
not verify is one clear error naming the reason, before any FIX message is sent.
"""

from __future__ import annotations

import socket
import ssl

from execution_engine.adapters.fix.config import FixVenueConfig

_CONNECT_TIMEOUT = 5.0


class TlsVerificationError(RuntimeError):
    """The venue's certificate does not verify against the configured CA (one line)."""


def check_venue_certificate(config: FixVenueConfig) -> None:
    tls = config.tls
    if not tls.ca_file.is_file():
        raise TlsVerificationError(f"TLS CA file {tls.ca_file} does not exist")
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    if tls.cert_file is not None and tls.key_file is not None:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    where = f"{config.host}:{config.port}"
    try:
        with (
            socket.create_connection((config.host, config.port), _CONNECT_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=config.host),
        ):
            return
    except ssl.SSLCertVerificationError as exc:
        raise TlsVerificationError(
            f"the certificate of {where} does not verify against {tls.ca_file}: {exc.verify_message}"
        ) from None
    except (ssl.SSLError, OSError) as exc:
        raise TlsVerificationError(f"TLS connection to {where} failed: {exc}") from None
