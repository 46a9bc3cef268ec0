"""The source registry: every interface dtimon ingests. An ingest DAG is generated per entry."""

from __future__ import annotations

from ingestion.sources import onestop
from ingestion.sources.base import Endpoint, Entity, Rejected, Source, Window

SOURCES: dict[str, Source] = {source.name: source for source in (onestop.SOURCE,)}

__all__ = ["SOURCES", "Endpoint", "Entity", "Rejected", "Source", "Window"]
