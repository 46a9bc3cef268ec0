"""Background processes started by `dtimon up`/`run`, tracked by pid file and stopped by pid."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from infra.home import PRIVATE_UMASK

log = logging.getLogger(__name__)


#: The signals that ask a run to stop: a terminal's Ctrl-C, `kill`, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ProcessFailed(RuntimeError):
    """A background process died or never became healthy; the message ends with its last log line."""


def interrupt_child(process: subprocess.Popen, *, settle: float = 3.0, grace: float = 30.0) -> None:
    """Stop a child as Ctrl-C would, so it can cancel its own work (dbt cancels its queries;
    SIGTERM would leave their PostgreSQL backends running, locks held); SIGKILL after `grace`.

    It is first given `settle` seconds to end by itself: a terminal's Ctrl-C reaches it already,
    and a second SIGINT would interrupt its clean-up."""
    for signum, timeout in ((None, settle), (signal.SIGINT, grace), (signal.SIGKILL, None)):
        if signum is not None and process.poll() is None:
            process.send_signal(signum)
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def forward_stops(process: subprocess.Popen) -> Iterator[list[int]]:
    """While in the block, each of STOP_SIGNALS received here is passed on to `process` as SIGINT
    (the child stops as Ctrl-C would); yields the list of signals received, in order."""
    received: list[int] = []

    def forward(signum: int, frame: object) -> None:
        received.append(signum)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)

    previous = {signum: signal.signal(signum, forward) for signum in STOP_SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def last_lines(path: Path, count: int = 10) -> list[str]:
    """The last `count` non-empty lines of a log file (none if it does not exist)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if line.strip()][-count:]


def _why(run_dir: Path, name: str) -> str:
    tail = last_lines(log_file(run_dir, name), 1)
    return f": {tail[0].strip()[:300]}" if tail else ""


def _pid_file(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.pid"


def log_file(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.log"


def pid_of(run_dir: Path, name: str) -> int | None:
    """The pid of a running process we started under `name`, else None (stale files removed)."""
    path = _pid_file(run_dir, name)
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        # our own child that exited is a zombie until reaped: reap it, and it is gone
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            path.unlink(missing_ok=True)
            return None
    except ChildProcessError:
        pass  # not our child (started by an earlier `dtimon`)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        return None
    except PermissionError:
        return pid
    return pid


def command_of(pid: int) -> list[str] | None:
    """The command line a running process was started with (None once it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.rstrip(b"\0").decode(errors="replace").split("\0") if raw else None


def start(
    run_dir: Path,
    name: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    ready: Callable[[], bool] | None = None,
    timeout: float = 120,
) -> int:
    """Start `argv` in its own session, log to <run_dir>/<name>.log, wait until `ready()`."""
    existing = pid_of(run_dir, name)
    if existing:
        return existing
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    logfile = log_file(run_dir, name).open("ab")
    os.chmod(logfile.fileno(), 0o600)
    proc = subprocess.Popen(
        list(argv),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        umask=PRIVATE_UMASK,  # what it writes (logs, passwords, keys) is its owner's only
    )
    _pid_file(run_dir, name).write_text(str(proc.pid))
    if ready is None:
        return proc.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _pid_file(run_dir, name).unlink(missing_ok=True)
            raise ProcessFailed(
                f"{name} exited with {proc.returncode}{_why(run_dir, name)} (log: {log_file(run_dir, name)})"
            )
        if ready():
            return proc.pid
        time.sleep(0.25)
    stop(run_dir, name)
    raise ProcessFailed(
        f"{name} not ready after {timeout:.0f} s{_why(run_dir, name)} (log: {log_file(run_dir, name)})"
    )


def stop(run_dir: Path, name: str, timeout: float = 30) -> bool:
    """SIGTERM the process group of `name`, SIGKILL after `timeout`. False if it was not running."""
    return bool(stop_all(run_dir, [name], timeout))


def stop_all(run_dir: Path, names: Sequence[str], timeout: float = 30) -> list[str]:
    """SIGTERM the process groups of `names` at once, then wait for them together (SIGKILL to any
    still running after `timeout`): the names that were running."""
    pids = {name: pid for name in names if (pid := pid_of(run_dir, name)) is not None}
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    waiting = dict(pids)
    while waiting and time.monotonic() < deadline:
        waiting = {name: pid for name, pid in waiting.items() if alive(pid)}
        if waiting:
            time.sleep(0.1)
    for name, pid in waiting.items():
        log.warning("%s (pid %s) ignored SIGTERM; killing", name, pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    killed = time.monotonic() + 5  # SIGKILL cannot be refused: the process is gone in a moment
    while any(alive(pid) for pid in waiting.values()) and time.monotonic() < killed:
        time.sleep(0.05)
    for name in pids:
        _pid_file(run_dir, name).unlink(missing_ok=True)
    return list(pids)


def alive(pid: int) -> bool:
    """True while `pid` runs: a process that exited and waits for its parent to reap it (a zombie)
    has stopped; our own child is reaped here."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def running(run_dir: Path) -> dict[str, int]:
    """Every process with a live pid file."""
    if not run_dir.exists():
        return {}
    found = {}
    for path in sorted(run_dir.glob("*.pid")):
        pid = pid_of(run_dir, path.stem)
        if pid:
            found[path.stem] = pid
    return found
