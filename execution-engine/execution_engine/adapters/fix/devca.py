"""A development certificate authority for the FIX simulator and tests.

`generate_dev_ca(folder)` writes a self-signed CA, a server certificate it signed (SAN
127.0.0.1 and localhost) and, when asked, a client certificate: enough for QuickFIX's TLS on
loopback with verification switched on. Never for production: keys are unencrypted files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALID_DAYS = 825  # the longest validity TLS clients accept for a leaf certificate
# QuickFIX 1.15.1 loads only RSA and DSA keys (UtilitySSL.cpp, loadSSLCert): no EC keys.
_Key = rsa.RSAPrivateKey


@dataclass(frozen=True)
class DevCa:
    """Paths of the generated PEM files."""

    folder: Path
    ca_file: Path
    server_cert: Path
    server_key: Path
    client_cert: Path | None
    client_key: Path | None


def generate_dev_ca(folder: Path, *, client: bool = False, name: str = "Gauntlet dev CA") -> DevCa:
    """Write ca.pem, server.pem/server.key (and client.pem/client.key) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = _new_key()
    ca_cert = _ca_certificate(ca_key, name)
    _write_cert(folder / "ca.pem", ca_cert)
    server_key = _new_key()
    server = _leaf(ca_cert, ca_key, server_key, "localhost", ExtendedKeyUsageOID.SERVER_AUTH)
    _write_cert(folder / "server.pem", server)
    _write_key(folder / "server.key", server_key)
    client_cert = client_key = None
    if client:
        key = _new_key()
        cert = _leaf(ca_cert, ca_key, key, "gauntlet-client", ExtendedKeyUsageOID.CLIENT_AUTH)
        client_cert, client_key = folder / "client.pem", folder / "client.key"
        _write_cert(client_cert, cert)
        _write_key(client_key, key)
    return DevCa(
        folder,
        folder / "ca.pem",
        folder / "server.pem",
        folder / "server.key",
        client_cert,
        client_key,
    )


def _new_key() -> _Key:
    return rsa.generate_private_key(public_exponent=65_537, key_size=2048)


def _ca_certificate(key: _Key, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        _builder(subject, subject, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )


def _leaf(
    ca_cert: x509.Certificate,
    ca_key: _Key,
    key: _Key,
    common_name: str,
    usage: x509.ObjectIdentifier,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    return (
        _builder(subject, ca_cert.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _builder(subject: x509.Name, issuer: x509.Name, key: _Key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # tolerate a little clock skew
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_key(path: Path, key: _Key) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
