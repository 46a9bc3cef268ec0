"""The layers of ARCHITECTURE.md, enforced: a package imports only from the layers below it.

bottom  core/                                   (imports no stage, nothing above)
stages  ingestion/ → expectations/ → publishing/ (each imports only backwards)
top     infra/ (task callables, CLI, local stack) and dags/ (nothing imports dags)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("core", "ingestion", "expectations", "publishing", "infra", "dags")

ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "ingestion": {"core", "ingestion"},
    "expectations": {"core", "ingestion", "expectations"},
    "publishing": {"core", "ingestion", "expectations", "publishing"},
    "infra": {"core", "ingestion", "expectations", "publishing", "infra"},
    "dags": set(FIRST_PARTY),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(FIRST_PARTY)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_from_layers_below(package: str) -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(_imports(path) - ALLOWED[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    offending = {path: bad for path, bad in offending.items() if bad}
    assert not offending, f"{package}/ imports from a layer above it: {offending}"


def test_nothing_imports_dags() -> None:
    importers = [
        str(path.relative_to(ROOT))
        for package in FIRST_PARTY
        if package != "dags"
        for path in (ROOT / package).rglob("*.py")
        if "dags" in _imports(path)
    ]
    assert not importers
