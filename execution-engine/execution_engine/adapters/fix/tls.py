"""Checking the venue's certificate before QuickFIX connects.

QuickFIX verifies the chain (CertificateVerifyLevel 1) but not the host name, and when
verification fails the pinned wheel's initiator spins in its handshake loop for good (one
core at 100 %, and `stop()` never returns: SSLSocketInitiator::handshakeSSL retries
SSL_connect forever). So before every connection attempt this check does a TLS handshake
with Python's ssl module against the same CA, host name included: a certificate that does
not verify is one clear error naming the reason, and QuickFIX never meets it.
"""

from __future__ import annotations

import socket
import ssl

from execution_engine.adapters.fix.config import FixVenueConfig

_CONNECT_TIMEOUT = 5.0


class TlsVerificationError(RuntimeError):
    """The venue's certificate does not verify against the configured CA (one line)."""


class VenueUnreachableError(RuntimeError):
    """No TCP connection to the venue (refused, timed out): worth retrying later."""


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
    except ssl.SSLError as exc:
        raise TlsVerificationError(f"TLS handshake with {where} failed: {exc}") from None
    except OSError as exc:
        raise VenueUnreachableError(f"cannot connect to {where}: {exc.strerror or exc}") from None
