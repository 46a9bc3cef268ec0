"""Throwaway certificates for mutual TLS tests, made at test time (none is committed).

`certificates(folder)` writes what `ingestion.sandbox.tls.make_certificates` writes (a CA, a
server certificate for 127.0.0.1 and localhost, a client certificate) plus a client
certificate of another CA, one the server does not trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingestion.sandbox import tls


@dataclass(frozen=True)
class Certificates(tls.Certificates):
    stranger_cert: Path  # a client certificate signed by a CA the server does not know
    stranger_key: Path


def certificates(folder: Path) -> Certificates:
    """Write the test CA, server, client and stranger certificates into `folder`."""
    made = tls.make_certificates(folder)
    stranger = tls.issue(tls.authority("another CA"), "stranger", server=False)
    return Certificates(
        ca=made.ca,
        server_cert=made.server_cert,
        server_key=made.server_key,
        client_cert=made.client_cert,
        client_key=made.client_key,
        stranger_cert=tls.write_cert(stranger[0], folder / "stranger.pem"),
        stranger_key=tls.write_key(stranger[1], folder / "stranger.key"),
    )
