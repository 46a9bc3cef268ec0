"""`make test`'s workers: a module is one unit of work, a group of modules sharing server-wide state is one."""

from __future__ import annotations

from pathlib import Path

from tests.xdist_scheduling import SHARED_STATE, unit_of_work

PROJECT = Path(__file__).resolve().parents[2]


def test_every_grouped_module_exists() -> None:
    for group, modules in SHARED_STATE.items():
        assert len(modules) > 1, group
        for module in modules:
            assert (PROJECT / module).is_file(), (group, module)


def test_a_test_belongs_to_its_group_else_to_its_module() -> None:
    for group, modules in SHARED_STATE.items():
        assert {unit_of_work(f"{module}::test_x[a@b::c]") for module in modules} == {group}
    assert (
        unit_of_work("tests/unit/test_paging.py::test_x[postgresql://u@h/db]") == "tests/unit/test_paging.py"
    )
