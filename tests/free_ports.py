"""Free ports for a test's own servers, sandboxes included."""

from __future__ import annotations

import socket

from infra.cli.ports import port_free
from ingestion.sources import SOURCES


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sandbox_base_port() -> int:
    """A DTIMON_SANDBOX_PORT at which every registered source's sandbox port (the base plus the
    source's offset) is free now: a free base alone leaves a neighbour's port to chance."""
    offsets = {source.sandbox.port_offset for source in SOURCES.values() if source.sandbox is not None}
    for _ in range(100):
        base = free_port()
        if all(port_free(base + offset) for offset in offsets if offset):
            return base
    raise RuntimeError("no free port with free neighbours for the sandboxes")
