"""TLS for the sandbox: a server certificate, and client certificates required (mutual TLS).

With `client_ca`, the sandbox refuses a connection whose client shows no certificate signed
by that authority, and a request on a connection that showed one needs no bearer token (the
certificate is the credential, as between X-Road members).
"""

from __future__ import annotations

import ssl
from pathlib import Path


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A server context presenting `cert`/`key`; with `client_ca`, client certificates are required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context
