"""Mutual TLS for the sandbox of a source that declares `ClientCertificate`.

With no `DTIMON_<SOURCE>_URL` such a source is served by its sandbox, which then serves https
and requires a client certificate: dtimon makes a local CA, a server and a client certificate
once in `<DTIMON_HOME>/tls/<source>/` (folders 0700, files 0600) and the client uses them for
every certificate setting the operator left unset (`DTIMON_<SOURCE>_CLIENT_CERT`, `_CLIENT_KEY`,
`_CA_CERT`: what the operator sets wins).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from core.settings import Settings, SourceSettings
from ingestion.sandbox.tls import Certificates, make_certificates
from ingestion.sources import ClientCertificate, Source

#: how long the local certificates are valid; older or missing ones are made again
VALID_DAYS = 365


def certificates_folder(settings: Settings, source: str) -> Path:
    """Where dtimon keeps the local certificates of `source`'s sandbox."""
    return settings.home / "tls" / source


def local_certificates(settings: Settings, source: Source) -> Certificates:
    """The local certificates of `source`'s sandbox, made now if missing or about to expire."""
    folder = certificates_folder(settings, source.name)
    files = Certificates.at(folder)
    if files.usable():
        return files
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder.parent, 0o700)
    return make_certificates(folder, days=VALID_DAYS)


def with_local_certificates(settings: Settings, source: Source, config: SourceSettings) -> SourceSettings:
    """`config` with the sandbox on https and the local certificates' paths for the unset
    settings, when `source` is sandboxed and declares `ClientCertificate`; else `config`."""
    if not (config.uses_sandbox and source.sandbox and isinstance(source.auth, ClientCertificate)):
        return config
    files = Certificates.at(certificates_folder(settings, source.name))
    return dataclasses.replace(
        config,
        sandbox_tls=True,
        client_cert=config.client_cert or str(files.client_cert),
        client_key=config.client_key or str(files.client_key),
        ca_cert=config.ca_cert or str(files.ca),
    )
