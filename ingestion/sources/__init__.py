"""The source registry: every interface dtimon ingests, and the only place a source is named.

DAGs, settings (`DTIMON_<SOURCE>_*`), Airflow connections (`dtimon_<source>`), sandbox
processes and raw tables are derived from it.
"""

from __future__ import annotations

from ingestion.record_rules import Rejected
from ingestion.sources import onestop
from ingestion.sources.base import (
    Acknowledge,
    BearerToken,
    ClientCertificate,
    Cursor,
    Endpoint,
    Entity,
    Resume,
    Sandbox,
    Source,
    TokenLogin,
    Window,
)

SOURCES: dict[str, Source] = {source.name: source for source in (onestop.SOURCE,)}

__all__ = [
    "SOURCES",
    "Acknowledge",
    "BearerToken",
    "ClientCertificate",
    "Cursor",
    "Endpoint",
    "Entity",
    "Rejected",
    "Resume",
    "Sandbox",
    "Source",
    "TokenLogin",
    "Window",
]
