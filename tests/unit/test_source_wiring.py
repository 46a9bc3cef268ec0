"""A source is one module + one staging folder + one sandbox module: every registered source is wired everywhere.

For each entry of the registry this walks what is derived from it — the ingest DAG (one
task and one Asset per entity), the settings variables, the Airflow connection, the
sandbox process, the raw tables, the dbt sources of its staging folder, the personal-field
declaration — and checks that no other Python code names the source.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import ConfigError, Settings
from infra import processes
from infra.airflow_env import airflow_env, source_conn_id, source_origin, source_settings
from infra.cli.sources import sandbox_argv, sandbox_process, start_sandboxes
from infra.dag_defaults import WAIT_UNTIL_SERVED, ingest_dag_id, ingest_dags
from infra.dagrun import default_ingest_dags
from infra.tasks import endpoint_of_connection
from ingestion.load import RawTable
from ingestion.privacy import PersonalFields
from ingestion.sources import SOURCES, ClientCertificate, Source

ROOT = Path(__file__).resolve().parents[2]
STAGING = ROOT / "dbt_project" / "models" / "staging"
#: Python code that must not name a source (everything is derived from the registry).
DERIVED_CODE = ("core", "infra", "dags", "publishing", "expectations", "ingestion")

REGISTERED = sorted(SOURCES)


def _own_files(source: Source) -> set[Path]:
    """The files allowed to name `source`: its module (and its `<source>_*` helpers) and its
    sandbox (the registry finds the module without naming it)."""
    own = {
        ROOT / "ingestion" / "sources" / f"{source.name}.py",
        *(ROOT / "ingestion" / "sources").glob(f"{source.name}_*.py"),
    }
    if source.sandbox is not None:
        package = ROOT.joinpath(*source.sandbox.module.split("."))
        own |= set(package.rglob("*.py")) if package.is_dir() else {package.with_suffix(".py")}
    return own


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("wiring-home")
    saved = dict(os.environ)
    os.environ.update(airflow_env(Settings.from_env({"DTIMON_HOME": str(home)}), base={}))
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    try:
        from airflow.dag_processing.dagbag import DagBag

        yield DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_registry_is_keyed_by_source_name() -> None:
    assert REGISTERED, "no source registered"
    for name, source in SOURCES.items():
        assert name == source.name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert len({e.name for e in source.entities}) == len(source.entities), name


@pytest.mark.parametrize("name", REGISTERED)
def test_ingest_dag_has_one_task_and_one_asset_per_entity(dagbag: Any, name: str) -> None:
    source = SOURCES[name]
    assert dagbag.import_errors == {}
    dags = ingest_dags(source)  # one per schedule: the source's, and an entity's own
    assert ingest_dag_id(name) in dags
    tasks: dict[str, Any] = {}
    for dag_id, (_, entities) in dags.items():
        dag = dagbag.dags[dag_id]
        assert name in dag.tags
        own = {task.task_id: task for task in dag.tasks}
        # a source with an availability lag waits until it serves a window's end, then loads it
        windowed = any(source.entity(entity).pull_mode == "window" for entity in entities)
        waits = {WAIT_UNTIL_SERVED} if source.lag and windowed else set()
        assert set(own) == {f"load_{entity}" for entity in entities} | waits
        tasks |= {task_id: task for task_id, task in own.items() if task_id not in waits}
        assert dag_id in default_ingest_dags()  # `make run` ingests it
    assert set(tasks) == {f"load_{e.name}" for e in source.entities}
    for entity in source.entities:
        assert [a.name for a in tasks[f"load_{entity.name}"].outlets] == [entity.table.qualified]


@pytest.mark.parametrize("name", REGISTERED)
def test_settings_and_airflow_connection_come_from_the_source_name(name: str) -> None:
    prefix = f"DTIMON_{name.upper()}_"
    configured = Settings.from_env(
        {
            prefix + "URL": "https://api.example.gov.vn/base",
            prefix + "USERNAME": "svc",
            prefix + "PASSWORD": "p@ss:word",
            prefix + "TOKEN": "bearer-123456",
        }
    ).source(name)
    assert (configured.url, configured.username, configured.password, configured.token) == (
        "https://api.example.gov.vn/base",
        "svc",
        "p@ss:word",
        "bearer-123456",
    )
    assert not configured.uses_sandbox

    settings = Settings.from_env(
        {prefix + "URL": "https://api.example.gov.vn/base", prefix + "PASSWORD": "p@ss"}
    )
    env = airflow_env(settings, base={})
    form = env[f"AIRFLOW_CONN_{source_conn_id(name).upper()}"]
    from airflow.models.connection import Connection

    endpoint = endpoint_of_connection(Connection.from_json(form, conn_id=source_conn_id(name)))
    assert (endpoint.url, endpoint.username, endpoint.password) == (
        "https://api.example.gov.vn/base",
        "dtimon",
        "p@ss",
    )
    # a user's own AIRFLOW_CONN_* wins over the generated one
    own = airflow_env(settings, base={f"AIRFLOW_CONN_{source_conn_id(name).upper()}": "http://elsewhere"})
    assert own[f"AIRFLOW_CONN_{source_conn_id(name).upper()}"] == "http://elsewhere"


@pytest.mark.parametrize("name", REGISTERED)
def test_a_sandbox_generates_at_its_own_scale_when_set(name: str) -> None:
    source = SOURCES[name]
    assert source.sandbox is not None
    common = {"DTIMON_SANDBOX_SCALE": "0.3"}
    default = source.sandbox.scale if source.sandbox.scale is not None else 0.3
    config = source_settings(Settings.from_env(common), source)
    assert config.sandbox_scale == default
    own = Settings.from_env(common | {f"DTIMON_{name.upper()}_SCALE": "0.05"})
    assert source_settings(own, source).sandbox_scale == 0.05
    argv = sandbox_argv(own, source)
    assert argv[argv.index("--scale") + 1] == "0.05"
    assert source_origin(own, source_settings(own, source)).endswith("scale 0.05")
    with pytest.raises(ConfigError, match=f"DTIMON_{name.upper()}_SCALE='many' is not a number"):
        source_settings(Settings.from_env({f"DTIMON_{name.upper()}_SCALE": "many"}), source)


def test_every_registered_source_gets_a_connection_and_nothing_else_does() -> None:
    env = airflow_env(Settings.from_env({}), base={})
    conns = {key for key in env if key.startswith("AIRFLOW_CONN_")}
    assert conns == {"AIRFLOW_CONN_DTIMON_WAREHOUSE"} | {
        f"AIRFLOW_CONN_DTIMON_{n.upper()}" for n in REGISTERED
    }
    for name in REGISTERED:
        sandbox_port = source_settings(Settings.from_env({}), SOURCES[name]).sandbox_port
        scheme = "https" if isinstance(SOURCES[name].auth, ClientCertificate) else "http"  # mutual TLS
        assert (
            json.loads(env[f"AIRFLOW_CONN_DTIMON_{name.upper()}"])["host"]
            == f"{scheme}://127.0.0.1:{sandbox_port}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_sandbox_is_started_for_every_source_without_a_url(tmp_path: Path) -> None:
    base = _free_port()
    env = {
        "DTIMON_HOME": str(tmp_path),
        "DTIMON_SANDBOX_SCALE": "0.02",
        "DTIMON_DEMO_START": "2025-09-01",
        "DTIMON_DEMO_END": "2025-09-02",
    }
    for offset, name in enumerate(REGISTERED):  # free ports, whatever each source's offset
        env[f"DTIMON_{name.upper()}_SANDBOX_PORT"] = str(base if offset == 0 else _free_port())
    settings = Settings.from_env(env)
    started = start_sandboxes(settings)
    try:
        assert sorted(started) == sorted(sandbox_process(SOURCES[n]) for n in REGISTERED)
        for name in REGISTERED:
            assert processes.pid_of(settings.run_dir, sandbox_process(SOURCES[name]))
        assert start_sandboxes(settings) == []  # already running: not started twice
    finally:
        for name in started:
            processes.stop(settings.run_dir, name)
    # a source with a configured URL gets no sandbox
    real = Settings.from_env(env | {f"DTIMON_{n.upper()}_URL": "https://x.example" for n in REGISTERED})
    assert start_sandboxes(real) == []


@pytest.mark.parametrize("name", REGISTERED)
def test_raw_tables_staging_sources_and_personal_fields_are_declared(name: str) -> None:
    source = SOURCES[name]
    folder = STAGING / name
    assert folder.is_dir(), f"no staging folder {folder.relative_to(ROOT)}"
    declared: dict[str, dict[str, Any]] = {}
    for path in folder.glob("*.yml"):
        for dbt_source in yaml.safe_load(path.read_text()).get("sources", []):
            if dbt_source["name"] == name:
                assert dbt_source.get("schema") == "raw"
                declared |= {table["name"]: table for table in dbt_source.get("tables", [])}
    assert set(declared) == {e.name for e in source.entities}, "one dbt source table per entity"
    for entity in source.entities:
        assert isinstance(entity.table, RawTable)
        assert (entity.table.schema, entity.table.name) == ("raw", f"{name}__{entity.name}")
        assert entity.table.columns, entity.name
        table = declared[entity.name]
        assert table.get("identifier", table["name"]) == entity.table.name
        documented = {column["name"] for column in table.get("columns", [])}
        columns = {getattr(column, "name", column) for column in entity.table.columns}  # names or Column
        assert columns <= documented, (entity.name, columns - documented)
        assert entity.personal is None or isinstance(entity.personal, PersonalFields)
        assert entity.windowed == (entity.pull.kind == "window")
    staged = {p.stem for p in folder.glob(f"stg_{name}__*.sql")}
    assert staged, f"no stg_{name}__* model"


@pytest.mark.parametrize("name", REGISTERED)
def test_no_other_python_code_names_the_source(name: str) -> None:
    source = SOURCES[name]
    own = _own_files(source)
    # `_` counts as a boundary: ingest_onestop, DTIMON_ONESTOP_URL and dtimon_onestop are names too
    pattern = re.compile(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in DERIVED_CODE
        for path in sorted((ROOT / package).rglob("*.py"))
        if path not in own
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, f"{name} is named outside its own modules: {offenders}"
