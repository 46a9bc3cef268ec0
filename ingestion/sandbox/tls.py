"""TLS for the sandbox: a server certificate, and client certificates required (mutual TLS).

With `client_ca`, the sandbox refuses a connection whose client shows no certificate signed
by that authority, and a request on a connection that showed one needs no bearer token (the
certificate is the credential, as between X-Road members).

`make_certificates(folder)` writes a local CA and, signed by it, a server certificate for
127.0.0.1/localhost and a client certificate (PEM, keys 0600): what `dtimon up` gives the
sandbox of a source that declares `ClientCertificate` and what the tests use.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Issued = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A server context presenting `cert`/`key`; with `client_ca`, client certificates are required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


@dataclass(frozen=True)
class Certificates:
    """The PEM files of a local CA, a server certificate and a client certificate it signed."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @classmethod
    def at(cls, folder: Path) -> Certificates:
        """The files' places in `folder` (whether or not they are written yet)."""
        return cls(
            ca=folder / "ca.pem",
            server_cert=folder / "server.pem",
            server_key=folder / "server.key",
            client_cert=folder / "client.pem",
            client_key=folder / "client.key",
        )

    def usable(self) -> bool:
        """Every file written, and the certificates still valid for a day."""
        if not all(path.is_file() for path in (self.ca, self.server_key, self.client_key)):
            return False
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        for path in (self.server_cert, self.client_cert):
            if not path.is_file():
                return False
            if x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc < tomorrow:
                return False
        return True


def make_certificates(folder: Path, *, days: int = 1) -> Certificates:
    """Write a new CA, a server certificate (127.0.0.1, localhost) and a client certificate into
    `folder` (made 0700), valid for `days`; keys are written 0600."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    files = Certificates.at(folder)
    ca = authority("dtimon local CA", days=days)
    server = issue(ca, "127.0.0.1", server=True, days=days)
    client = issue(ca, "dtimon client", server=False, days=days)
    write_cert(ca[0], files.ca)
    write_cert(server[0], files.server_cert)
    write_key(server[1], files.server_key)
    write_cert(client[0], files.client_cert)
    write_key(client[1], files.client_key)
    return files


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_private(path: Path, data: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    """`key` as unencrypted PKCS#8 PEM, owner-only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _write_private(path, pem)


def write_cert(cert: x509.Certificate, path: Path) -> Path:
    """`cert` as PEM (owner-only too, like everything in the dtimon home)."""
    return _write_private(path, cert.public_bytes(serialization.Encoding.PEM))


def authority(common_name: str, *, days: int = 1) -> Issued:
    """A new self-signed CA certificate and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue(ca: Issued, common_name: str, *, server: bool, days: int = 1) -> Issued:
    """A certificate signed by `ca`: for a server on 127.0.0.1/localhost, or for a client."""
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256()), key
