"""How `make test` spreads the suite over pytest-xdist workers (`-n 2 --dist loadscope`).

A test module is one unit of work, so its module-scoped fixtures (a built warehouse, an Airflow
run) are made once. The modules of one group in SHARED_STATE change the same server-wide thing,
so they are one unit: run on one worker, one after the other. Units are handed out in collection
order (with --no-loadscope-reorder: the long end-to-end modules first).
"""

from __future__ import annotations

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

#: Modules that must not run at once (a group's name: its modules). The BI login role and its
#: password belong to the whole server, not to a test database.
SHARED_STATE = {
    "bi-login-password": ("tests/integration/test_bi_login.py", "tests/integration/test_metabase.py"),
}
GROUP_OF_MODULE = {module: group for group, modules in SHARED_STATE.items() for module in modules}


def unit_of_work(nodeid: str) -> str:
    """The unit a test belongs to: its module's group, else its module."""
    module = nodeid.split("::", 1)[0]
    return GROUP_OF_MODULE.get(module, module)


class ModuleScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with `unit_of_work` as the scope."""

    def _split_scope(self, nodeid: str) -> str:
        return unit_of_work(nodeid)


class ModulePlugin:
    """Registered by tests/conftest.py on the xdist controller."""

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Producer) -> ModuleScheduling | None:
        return ModuleScheduling(config, log) if config.option.dist == "loadscope" else None
