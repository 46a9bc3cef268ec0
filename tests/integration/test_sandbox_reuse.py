"""A sandbox left running (by `make up`, or a run killed outright) is reused by the next run only
when it simulates what that run needs; one started for another period is refused in one line. A
run asked past DTIMON_DEMO_END has its sandbox simulate its days."""

from __future__ import annotations

import os
import socket
from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from infra import processes
from infra.cli.common import UserError
from infra.cli.sources import sandbox_argv, sandbox_process, sandboxed_sources, simulating, start_sandboxes
from tests.free_ports import sandbox_base_port


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_sandbox_running_for_another_period_is_refused_and_the_same_one_reused(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DTIMON_")},
        "DTIMON_HOME": str(tmp_path / "home"),
        "DTIMON_SANDBOX_PORT": str(sandbox_base_port()),
        "DTIMON_SANDBOX_SCALE": "0.02",
        "DTIMON_DEMO_START": "2025-09-01",
        "DTIMON_DEMO_END": "2025-09-03",
    }
    settings = Settings.from_env(env)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    started = start_sandboxes(settings)
    try:
        assert started == [sandbox_process(source) for source in sandboxed_sources(settings)]
        assert start_sandboxes(settings) == []  # the same settings: left running, reused
        longer = Settings.from_env({**env, "DTIMON_DEMO_END": "2025-09-05"})
        with pytest.raises(UserError) as refused:
            start_sandboxes(longer)
        assert str(refused.value).endswith(
            "is already running with other settings (--end 2025-09-03, not 2025-09-05):"
            " stop it with `make down` and run again"
        ), refused.value
    finally:
        for name in started:
            processes.stop(settings.run_dir, name)


def test_a_run_past_the_demo_end_has_its_days_simulated(tmp_path: Path) -> None:
    settings = Settings.from_env({"DTIMON_HOME": str(tmp_path), "DTIMON_DEMO_END": "2025-10-01"})
    for source in sandboxed_sources(settings):
        for end, simulated in ((date(2025, 9, 15), "2025-10-01"), (date(2025, 11, 1), "2025-11-01")):
            argv = sandbox_argv(simulating(settings, end), source)
            assert argv[argv.index("--end") + 1] == simulated
