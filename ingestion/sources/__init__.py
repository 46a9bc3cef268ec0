"""The source registry: every interface dtimon ingests, found as the modules of this package
that define a `SOURCE` (a new source is its module; nothing here names it).

DAGs, settings (`DTIMON_<SOURCE>_*`), Airflow connections (`dtimon_<source>`), sandbox
processes and raw tables are derived from it.
"""

from __future__ import annotations

import importlib
import pkgutil

from ingestion.record_rules import Rejected
from ingestion.sources.base import (
    Ack,
    Acknowledge,
    BearerToken,
    ClientCertificate,
    Cursor,
    Endpoint,
    Entity,
    Resume,
    Sandbox,
    Source,
    SystemSecret,
    TokenHeader,
    TokenLogin,
    Window,
)


def _discovered() -> dict[str, Source]:
    """name → Source of every module here defining `SOURCE`, in module-name order."""
    found: dict[str, Source] = {}
    for module in pkgutil.iter_modules(__path__):
        source = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SOURCE", None)
        if isinstance(source, Source):
            if source.name in found:
                raise ValueError(f"two sources are named {source.name!r}")
            found[source.name] = source
    return found


SOURCES: dict[str, Source] = _discovered()

__all__ = [
    "SOURCES",
    "Ack",
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
    "SystemSecret",
    "TokenHeader",
    "TokenLogin",
    "Window",
]
