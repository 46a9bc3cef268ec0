"""An indicator's method hash (publishing.method) sees every change of the rule computing it, and
nothing else: over a small manifest shaped like dbt's (ind_values reads a model reading a seed
and a source; two measure macros, one calling a helper; a model off the lineage; dbt's macros)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from publishing.method import lineage, method_hashes

CATALOGUE = {"766-2.1": ("measure__a", '{"id": "766-2.1"}'), "766-3.3": ("measure__b", '{"id": "766-3.3"}')}


def _node(
    kind: str, name: str, checksum: str, nodes: tuple[str, ...] = (), macros: tuple[str, ...] = ()
) -> Any:
    return {
        "resource_type": kind,
        "name": name,
        "checksum": {"name": "sha256", "checksum": checksum},
        "depends_on": {"nodes": list(nodes), "macros": list(macros)},
    }


def _macro(package: str, text: str, macros: tuple[str, ...] = ()) -> Any:
    return {"package_name": package, "macro_sql": text, "depends_on": {"macros": list(macros)}}


MANIFEST: dict[str, Any] = {
    "metadata": {"project_name": "dtimon"},
    "nodes": {
        "model.dtimon.ind_values": _node(
            "model",
            "ind_values",
            "v1",
            ("model.dtimon.int_measures", "seed.dtimon.indicator_catalogue", "seed.dtimon.indicator_targets"),
            ("macro.dtimon.local_midnight",),
        ),
        "model.dtimon.int_measures": _node(
            "model", "int_measures", "m1", ("model.dtimon.stg_dossiers",), ("macro.dbt.is_incremental",)
        ),
        "model.dtimon.stg_dossiers": _node("model", "stg_dossiers", "s1", ("source.dtimon.raw.dossiers",)),
        "seed.dtimon.indicator_catalogue": _node("seed", "indicator_catalogue", "c1"),
        "seed.dtimon.indicator_targets": _node("seed", "indicator_targets", "t1"),
        "model.dtimon.dq_source_month": _node(
            "model", "dq_source_month", "q1", ("model.dtimon.stg_dossiers",)
        ),
    },
    "sources": {"source.dtimon.raw.dossiers": {"name": "dossiers"}},
    "macros": {
        "macro.dtimon.local_midnight": _macro("dtimon", "midnight v1"),
        "macro.dtimon.measure__a": _macro("dtimon", "a v1", ("macro.dtimon.helper",)),
        "macro.dtimon.measure__b": _macro("dtimon", "b v1"),
        "macro.dtimon.helper": _macro("dtimon", "helper v1"),
        "macro.dbt.is_incremental": _macro("dbt", "dbt v1"),
    },
}


def _edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    manifest = copy.deepcopy(MANIFEST)
    edit(manifest)
    return method_hashes(manifest, CATALOGUE)


def _set(path: tuple[str, ...], value: str) -> Callable[[dict[str, Any]], None]:
    def edit(manifest: dict[str, Any]) -> None:
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


BEFORE = method_hashes(MANIFEST, CATALOGUE)


def test_the_lineage_holds_upstream_models_seeds_and_project_macros_only() -> None:
    assert set(lineage(MANIFEST)) == {
        "model.dtimon.ind_values",
        "model.dtimon.int_measures",
        "model.dtimon.stg_dossiers",
        "seed.dtimon.indicator_targets",
        "macro.dtimon.local_midnight",
    }
    assert lineage({}) == {} and method_hashes({}, CATALOGUE).keys() == CATALOGUE.keys()


@pytest.mark.parametrize(
    "edit",
    [
        _set(("nodes", "model.dtimon.stg_dossiers", "checksum", "checksum"), "s2"),  # a staging model
        _set(("nodes", "model.dtimon.int_measures", "checksum", "checksum"), "m2"),  # an intermediate one
        _set(("nodes", "seed.dtimon.indicator_targets", "checksum", "checksum"), "t2"),  # a seed
        _set(("macros", "macro.dtimon.local_midnight", "macro_sql"), "midnight v2"),  # a macro of the lineage
    ],
)
def test_a_change_upstream_of_ind_values_changes_every_indicators_method(
    edit: Callable[[dict[str, Any]], None],
) -> None:
    after = _edited(edit)
    assert all(after[indicator] != BEFORE[indicator] for indicator in CATALOGUE)


def test_a_measure_macro_or_a_catalogue_row_changes_its_own_indicator_only() -> None:
    after = _edited(_set(("macros", "macro.dtimon.helper", "macro_sql"), "helper v2"))  # called by measure__a
    assert after["766-2.1"] != BEFORE["766-2.1"] and after["766-3.3"] == BEFORE["766-3.3"]
    row = dict(CATALOGUE, **{"766-3.3": ("measure__b", '{"id": "766-3.3", "name": "new"}')})
    after = method_hashes(MANIFEST, row)
    assert after["766-2.1"] == BEFORE["766-2.1"] and after["766-3.3"] != BEFORE["766-3.3"]


@pytest.mark.parametrize(
    "edit",
    [
        _set(
            ("nodes", "seed.dtimon.indicator_catalogue", "checksum", "checksum"), "c2"
        ),  # rows hashed one by one
        _set(("nodes", "model.dtimon.dq_source_month", "checksum", "checksum"), "q2"),  # off the lineage
        _set(("macros", "macro.dbt.is_incremental", "macro_sql"), "dbt v2"),  # dbt's own macro
        _set(("sources", "source.dtimon.raw.dossiers", "name"), "renamed"),  # the data
    ],
)
def test_what_is_not_the_method_changes_no_hash(edit: Callable[[dict[str, Any]], None]) -> None:
    assert _edited(edit) == BEFORE
