"""`make up` trusts health checks, not pid files: a component that dies is reported with its log."""

from __future__ import annotations

import os
import signal
import subprocess
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


#: A child that reports the first SIGINT on stdout and exits, or ignores SIGINT with `stubborn`.
CHILD = """
import signal, sys, time
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
try:
    print("ready", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def _child(mode: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child


@pytest.mark.parametrize("signum", processes.STOP_SIGNALS)
def test_a_stop_asked_of_the_parent_alone_reaches_the_child_as_ctrl_c(signum: int) -> None:
    child, before = _child("polite"), signal.getsignal(signum)
    with processes.forward_stops(child) as received:
        os.kill(os.getpid(), signum)  # as `kill PID` does: the parent only, not its group
        assert child.wait(timeout=30) == 0
    assert received == [signum]
    assert signal.getsignal(signum) == before
    assert child.stdout is not None and child.stdout.read() == "interrupted\n"


def test_a_child_is_given_ctrl_c_then_killed_once_its_grace_is_over() -> None:
    polite = _child("polite")
    processes.interrupt_child(polite, settle=0.1, grace=30)
    assert polite.returncode == 0 and polite.stdout is not None and polite.stdout.read() == "interrupted\n"

    stubborn = _child("stubborn")
    processes.interrupt_child(stubborn, settle=0.1, grace=0.5)
    assert stubborn.returncode == -signal.SIGKILL


def test_every_process_is_asked_to_stop_at_once_and_a_deaf_one_is_killed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    deaf_ready = tmp_path / "deaf.ready"
    deaf = [
        sys.executable,
        "-c",
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " pathlib.Path(sys.argv[1]).touch(); time.sleep(60)",
        str(deaf_ready),
    ]
    for name in ("a", "b"):
        processes.start(tmp_path, name, sleeper, {})
    processes.start(tmp_path, "deaf", deaf, {}, ready=deaf_ready.exists)  # deaf once it says so
    pids = processes.running(tmp_path)
    assert processes.stop_all(tmp_path, ["a", "b", "deaf", "never-started"], timeout=1) == ["a", "b", "deaf"]
    assert processes.running(tmp_path) == {}
    assert not [name for name, pid in pids.items() if processes.alive(pid)]
    assert [r.getMessage() for r in caplog.records if "ignored SIGTERM" in r.getMessage()] == [
        f"deaf (pid {pids['deaf']}) ignored SIGTERM; killing"
    ]


def test_a_process_that_exited_but_is_not_reaped_yet_has_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program's child (`dtimon up` started it) lingers as a zombie until its parent reaps it."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        (tmp_path / "child.pid").write_text(str(child))
        assert processes.stop_all(tmp_path, ["child"], timeout=30) == ["child"]
        assert not [r for r in caplog.records if "ignored SIGTERM" in r.getMessage()]  # not waited out
    finally:
        parent.kill()
        parent.wait()
