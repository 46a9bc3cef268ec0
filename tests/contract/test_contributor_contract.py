"""The contract for a new source and new indicators, proved by adding them as a contributor does.

`throwaway/` holds, laid out as in the project, every file a contributor adds for an X-Road-style
call log (README, *Adding a source* and *Adding an indicator*): the source module (a sequence
cursor with an event time, epoch-millisecond times, a UUID key, an availability lag, mutual TLS),
its sandbox, its staging folder, its personal-field list, its own unit and integration tests, two
measure macros under a new framework XL (XL-01 additive, XL-02 a median: `aggregate`) and the
rows it appends to the seeds (frameworks, catalogue, targets). The test copies the project's
files (tracked, or new and not ignored), puts each throwaway file in place (a seed's rows appended to it, any other file
new: editing an existing file is refused), and runs inside the copy the unit suite and the
integration tests a source and its indicators meet: migrations, the personal fields, mutual TLS,
the event-time watermark, the dbt indicators on the shared fixtures and the call log's own pull
over mutual TLS through to `marts.ind_values`. Run it alone with `pytest tests/contract`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

PROJECT = Path(__file__).resolve().parents[2]
THROWAWAY = Path(__file__).parent / "throwaway"
#: Files a contributor extends by appending rows; every other throwaway file must be new.
APPENDED = "dbt_project/seeds/*.csv"
#: The integration tests that load a source or build its indicators. The gate's (test_gate_raw,
#: test_gate_publish) also pass in such a copy, but take about five minutes: left out for cost.
INTEGRATION = (
    "test_migrations.py",
    "test_personal_fields.py",
    "test_mutual_tls.py",
    "test_event_time_watermark.py",
    "test_dbt_indicators.py",
    "test_xlog_calls.py",
)

#: Tests that ran only because the throwaway files were found: (module, part of the test's id).
PICKED_UP = (
    ("test_source_wiring", "[xlog]"),
    ("test_declared_path", "[xlog.calls]"),
    ("test_personal_fields", "[xlog.calls:officerId]"),
    ("test_xlog_records", ""),
    ("test_xlog_calls", "aggregate"),
)
#: Left out to bound the cost (each is a dbt build of its own, and reads no source's declarations).
DESELECTED = (
    "tests/integration/test_dbt_indicators.py::test_build_fails_when_a_dossier_year_has_no_holiday_calendar",
)

pytestmark = pytest.mark.contract


def _project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [path for path in listed.split("\0") if path and not path.startswith("tests/contract/")]


def _project_copy(root: Path) -> Path:
    """The files of this checkout (tracked, or new and not ignored) under `root`, as in the work tree."""
    for path in _project_files():
        if (PROJECT / path).is_file():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / path, root / path)
    return root


def _add_throwaway(root: Path) -> list[str]:
    """Put every throwaway file in place; returns the project paths it touched."""
    touched = []
    for added in sorted(p for p in THROWAWAY.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        relative = added.relative_to(THROWAWAY)
        target = root / relative
        if target.exists():
            assert relative.match(APPENDED), f"{relative} edits a file the project has"
            rows = target.read_text()
            target.write_text(rows + ("" if rows.endswith("\n") else "\n") + added.read_text())
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(added, target)
        touched.append(str(relative))
    return touched


def _suite(root: Path, env: dict[str, str], results: Path, *selected: str) -> subprocess.Popen[bytes]:
    """pytest on `selected` inside the copy: JUnit XML in `results`, its output beside it (.log)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=5"]
    with results.with_suffix(".log").open("w") as output:  # the child holds its own copy of the file
        return subprocess.Popen(
            [*command, f"--junitxml={results}", *selected],
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _passed(results: Path) -> set[str]:
    """'<module>::<test>' of every test that passed."""
    return {
        f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name', '')}"
        for case in ElementTree.parse(results).iter("testcase")
        if not any(child.tag in ("failure", "error", "skipped") for child in case)
    }


def test_a_source_and_indicators_added_as_their_own_files_pass_the_suites(
    tmp_path: Path, pg_server: str
) -> None:
    root = _project_copy(tmp_path / "project")
    touched = _add_throwaway(root)
    assert "ingestion/sources/xlog.py" in touched and "dbt_project/seeds/frameworks.csv" in touched
    env = {
        **os.environ,
        "PYTHONPATH": str(root),  # the copy's packages, not the checkout's editable install
        "DTIMON_WAREHOUSE_URL": pg_server,  # test databases on this session's server
        "DTIMON_HOME": str(tmp_path / "home"),
    }
    # the two suites at once: the integration tests mostly wait on dbt and PostgreSQL
    suites = {
        "unit": _suite(root, env, tmp_path / "unit.xml", "tests/unit"),
        "integration": _suite(
            root,
            env,
            tmp_path / "integration.xml",
            *(f"tests/integration/{name}" for name in INTEGRATION),
            *(f"--deselect={test}" for test in DESELECTED),
        ),
    }
    for name, suite in suites.items():
        suite.wait()
        summary = "\n".join((tmp_path / f"{name}.log").read_text().splitlines()[-40:])
        assert suite.returncode == 0, f"the {name} suite failed with the throwaway source added:\n{summary}"
    passed = _passed(tmp_path / "unit.xml") | _passed(tmp_path / "integration.xml")
    for module, case in PICKED_UP:  # the registry, the catalogue and the personal-field lists found them
        assert any(test.startswith(f"{module}::") and case in test for test in passed), (module, case)
