"""`make up` trusts health checks, not pid files: a component that dies is reported with its log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from infra import processes
from infra.cli.common import UserError
from infra.cli.ports import port_free
from infra.cli.supervision import Component, wait_healthy


def test_a_component_that_dies_fails_with_its_last_log_lines(tmp_path: Path, capsys) -> None:
    argv = [
        sys.executable,
        "-c",
        "import sys; print('starting'); print('[Errno 98] Address already in use'); sys.exit(3)",
    ]
    processes.start(tmp_path, "airflow-api-server", argv, {})
    component = Component("airflow-api-server", argv, lambda: False)
    with pytest.raises(UserError, match=r"airflow-api-server exited: see .*airflow-api-server\.log"):
        wait_healthy(tmp_path, [component], timeout=30, poll=0.1)
    assert "[Errno 98] Address already in use" in capsys.readouterr().err


def test_a_component_never_healthy_times_out(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import time; time.sleep(30)"]
    processes.start(tmp_path, "sleeper", argv, {})
    try:
        with pytest.raises(UserError, match="sleeper not healthy after 1 s"):
            wait_healthy(tmp_path, [Component("sleeper", argv, lambda: False)], timeout=1, poll=0.1)
    finally:
        processes.stop(tmp_path, "sleeper")


def test_healthy_components_pass(tmp_path: Path) -> None:
    wait_healthy(tmp_path, [Component("x", [], lambda: True)], timeout=1)


def test_port_free() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert not port_free(taken.getsockname()[1])
