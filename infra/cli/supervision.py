"""Long-running components (started with infra.processes): their health checks, and waiting on them."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import requests

from infra import processes
from infra.cli.common import UserError


@dataclass(frozen=True)
class Component:
    """A long-running process of `make up`: how to start it and how to know it is healthy."""

    name: str
    argv: list[str]
    healthy: Callable[[], bool]
    url: str = ""


def http_ok(
    url: str, *, cert: tuple[str, str] | None = None, verify: str | bool = True
) -> Callable[[], bool]:
    """A health check: `url` answers 200 (over mutual TLS with `cert`, trusting the CA `verify`)."""

    def check() -> bool:
        try:
            return requests.get(url, timeout=2, cert=cert, verify=verify).status_code == 200
        except OSError:  # requests' errors, and a certificate file not made yet
            return False

    return check


def wait_healthy(run_dir: Path, components: list[Component], timeout: float, poll: float = 1.0) -> None:
    """Wait until every component's health check passes; if one dies or never gets healthy,
    print its last log lines and raise UserError (the caller exits non-zero)."""
    deadline = time.monotonic() + timeout
    waiting = list(components)
    while waiting:
        for component in list(waiting):
            if component.healthy():
                waiting.remove(component)
            elif processes.pid_of(run_dir, component.name) is None:
                _fail_component(run_dir, component.name, "exited")
        if not waiting:
            return
        if time.monotonic() > deadline:
            _fail_component(run_dir, waiting[0].name, f"not healthy after {timeout:.0f} s")
        time.sleep(poll)


def _fail_component(run_dir: Path, name: str, what: str) -> NoReturn:
    logpath = processes.log_file(run_dir, name)
    tail = processes.last_lines(logpath, 10)
    if tail:
        sys.stderr.write(f"--- last lines of {logpath} ---\n" + "\n".join(tail) + "\n---\n")
    raise UserError(f"{name} {what}: see {logpath}; stop the rest with `make down`")
