"""The BI login (the role Metabase connects with) reads every `bi` object and nothing else, writes
nothing, and `bi` holds no personal data.

`bi` is published from hand-written marts with the contract's columns (bi_fixtures); the
password comes from DTIMON_BI_PASSWORD as in production, and the login connects over TCP
with it, as Metabase does. Runs on the embedded server (PostgreSQL 16) or, with
DTIMON_WAREHOUSE_URL, on another (PostgreSQL 15 too).
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from bi_fixtures import (
    ADMIN_UNITS,
    CAMERA_DAYS,
    CAMERA_EVENTS,
    CAMERAS,
    DOCUMENTS,
    FIELD_REPORTS,
    LATE_DOSSIERS,
    POPULATION_CALLS,
    POPULATION_STATS,
    UNIT_FIGURES,
    build_bi,
    catalogue,
)

from core.migrations import MIGRATIONS_DIR, migrate
from core.settings import AIRFLOW_DB, Settings
from core.warehouse_url import PgUrl, replace_database
from infra import postgres
from publishing.bi_login import (
    LOGIN_ROLE,
    READER_ROLE,
    find_personal_data,
    scram_verifier,
)

PASSWORD = secrets.token_urlsafe(16)
#: Schemas the login must not read: every one of them gets a table here.
FORBIDDEN = ("raw", "ops", "staging", "intermediate", "marts", "reference")


@pytest.fixture(scope="module")
def owner(module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    mp = pytest.MonkeyPatch()
    mp.setenv("DTIMON_BI_PASSWORD", PASSWORD)
    try:
        with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
            for schema in ("raw", "staging", "intermediate"):
                conn.execute(f"create schema {schema}")
                conn.execute(f"create table {schema}.probe (citizen_id text)")
                conn.execute(f"insert into {schema}.probe values ('001099012345')")
            build_bi(conn)
            yield conn
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def login(owner: psycopg.Connection, module_warehouse_url: str) -> Iterator[psycopg.Connection]:
    """The BI login over TCP with its password, as Metabase connects."""
    with psycopg.connect(
        module_warehouse_url, host="127.0.0.1", user=LOGIN_ROLE, password=PASSWORD, autocommit=True
    ) as conn:
        yield conn


def _bi_relations(conn: psycopg.Connection) -> list[str]:
    return [
        name
        for (name,) in conn.execute(
            "select c.relname from pg_class c join pg_namespace n on c.relnamespace = n.oid"
            " where n.nspname = 'bi' and c.relkind in ('v', 'r', 'm') order by 1"
        ).fetchall()
    ]


def test_the_login_is_a_plain_member_of_the_reader_role(owner: psycopg.Connection) -> None:
    row = owner.execute(
        "select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, pg_has_role(%s, %s, 'member')"
        " from pg_roles where rolname = %s",
        (LOGIN_ROLE, READER_ROLE, LOGIN_ROLE),
    ).fetchone()
    assert row == (True, False, False, False, True, True)
    stored = owner.execute("select rolpassword from pg_authid where rolname = %s", (LOGIN_ROLE,)).fetchone()[
        0
    ]
    salt_b64 = stored.split("$")[1].split(":")[1]
    assert stored == scram_verifier(PASSWORD, base64.b64decode(salt_b64))  # the password, not in clear
    assert PASSWORD not in stored


def test_the_login_reads_every_bi_relation(owner: psycopg.Connection, login: psycopg.Connection) -> None:
    relations = _bi_relations(owner)
    assert {"ind_values", "indicator_catalogue", "restatements", "publication_history"} <= set(relations)
    assert {"dim_agency", "fct_dossier", "indicator_targets"} <= set(relations)
    for name in relations:
        count = login.execute(f"select count(*) from bi.{name}").fetchone()[0]
        assert count > 0, name
    # every catalogue row × 3 periods (2 months, 1 quarter) at province level, + its 766 agency
    # rows × 2 agencies × 3 periods, + one row per unit figure (communes, district, both views)
    rows = catalogue()
    agency_766 = sum(1 for r in rows if r["framework"] == "766" and r["level"] == "agency")
    expected = len(rows) * 3 + agency_766 * 2 * 3 + len(rows) * len(UNIT_FIGURES)
    assert login.execute("select count(*) from bi.ind_values").fetchone()[0] == expected
    assert login.execute("select count(*) from bi.restatements").fetchone()[0] == 1
    history = login.execute(
        "select publication_id, is_this_publication, status, gate_passed, gate_failed_warning, restated_values,"
        " relation_count, row_count from bi.publication_history order by 1"
    ).fetchall()
    first, second = history[0][0], history[1][0]
    # every bi relation: the marts and seeds (with the 5 rating bands, the frameworks, 2 data-quality
    # months, 3 framework totals, the late dossiers of a month and a quarter, the documents and their
    # 2 steps, the operations centre's communes, cameras, camera days and events, field reports, Project 06's
    # calls and commune figures)
    # + restatements + the history itself; rows: the marts' and seeds' (3 agency versions,
    # 12 dossiers) + 0 or 1 restatement.
    # The first was live when the second was staged: the second superseded it.
    frameworks = login.execute("select count(*) from bi.frameworks").fetchone()[0]
    marts_rows = expected + 3 + 12 + 2 + 5 + 3 + 2 * len(LATE_DOSSIERS) + frameworks + 2 * len(rows)
    marts_rows += len(DOCUMENTS) + 2
    marts_rows += len(ADMIN_UNITS) + len(CAMERAS) + len(CAMERA_DAYS) + len(CAMERA_EVENTS) + len(FIELD_REPORTS)
    marts_rows += len(POPULATION_CALLS) + len(POPULATION_STATS)
    assert history == [
        (first, False, "superseded", True, 1, 0, len(relations), marts_rows),
        (second, True, "published", True, None, 1, len(relations), marts_rows + 1),
    ]


def test_the_login_reads_no_other_schema(owner: psycopg.Connection, login: psycopg.Connection) -> None:
    publications = [
        s
        for (s,) in owner.execute("select nspname from pg_namespace where nspname like 'pub\\_%' order by 1")
    ]
    assert len(publications) == 2
    tables = owner.execute(
        "select table_schema, table_name from information_schema.tables where table_schema = any(%s)",
        (list(FORBIDDEN) + publications,),
    ).fetchall()
    assert {schema for schema, _ in tables} == set(FORBIDDEN) | set(publications)
    for schema, table in tables:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            login.execute(f'select * from "{schema}"."{table}" limit 1')


WRITES = [
    "create table public.scratch (x int)",
    "create table bi.scratch (x int)",
    "create temporary table scratch (x int)",
    "create schema scratch",
    "insert into bi.ind_values (indicator_id) values ('x')",
    "update bi.indicator_catalogue set name_vi = 'x'",
    "delete from bi.restatements",
    "create view bi.scratch as select 1 as x",
    "copy (select 1) to program 'id'",
    "copy bi.restatements from program 'id'",
]


@pytest.fixture
def writable_login(login: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """The login with its read-only default lifted, as any role may: what is left is its privileges."""
    login.execute("set default_transaction_read_only = off")
    try:
        yield login
    finally:
        login.execute("reset default_transaction_read_only")


def test_the_login_starts_read_only(login: psycopg.Connection) -> None:
    assert login.execute("show default_transaction_read_only").fetchone() == ("on",)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        login.execute("create schema scratch")  # a utility statement: refused as read-only first


@pytest.mark.parametrize("statement", WRITES)
def test_the_login_writes_nothing_by_privilege(writable_login: psycopg.Connection, statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        writable_login.execute(statement)


@pytest.mark.parametrize("statement", WRITES)
def test_begin_read_write_lifts_nothing_but_the_default(login: psycopg.Connection, statement: str) -> None:
    login.autocommit = False
    try:
        login.execute("begin read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            login.execute(statement)
    finally:
        login.rollback()
        login.autocommit = True


def test_the_login_has_no_create_or_temporary_anywhere(
    owner: psycopg.Connection, settings: Settings, module_warehouse_url: str
) -> None:
    """Not in any schema of the warehouse, nor in any database dtimon creates (every database of
    the embedded server); CONNECT on the warehouse only."""
    schemas = [name for (name,) in owner.execute("select nspname from pg_namespace")]
    created = [
        (name, privilege)
        for name in schemas
        for privilege in ("CREATE",)
        if owner.execute("select has_schema_privilege(%s, %s, %s)", (LOGIN_ROLE, name, privilege)).fetchone()[
            0
        ]
    ]
    assert created == []
    warehouse = PgUrl.parse(module_warehouse_url).database
    # not other test sessions' databases (another xdist worker's): they come and go meanwhile
    query = "select datname from pg_database where datallowconn and (datname = %s or datname not like 'dtimon\\_test\\_%%')"
    databases = [name for (name,) in owner.execute(query, (warehouse,))] if settings.embedded else [warehouse]
    for database in databases:
        row = owner.execute(
            "select has_database_privilege(%s, %s, 'CONNECT'), has_database_privilege(%s, %s, 'CREATE'),"
            " has_database_privilege(%s, %s, 'TEMPORARY')",
            (LOGIN_ROLE, database) * 3,
        ).fetchone()
        assert row == (
            database == warehouse or _is_warehouse(module_warehouse_url, database),
            False,
            False,
        ), database


def _is_warehouse(url: str, database: str) -> bool:
    """True for a database the migrations made a warehouse (another one on the same server, such as
    the `make run` one: the BI reader may connect to it as to this test's)."""
    with psycopg.connect(replace_database(url, database), autocommit=True) as conn:
        return conn.execute("select to_regclass('ops._yoyo_migration') is not null").fetchone()[0]


def test_the_login_cannot_connect_to_other_databases(
    owner: psycopg.Connection, settings: Settings, pg_server: str
) -> None:
    others = [AIRFLOW_DB, "postgres"] if settings.embedded else []
    with contextlib.ExitStack() as stack:
        if not settings.embedded:  # a database dtimon creates on a server given by URL
            name = "dtimon_test_other_" + secrets.token_hex(4)
            postgres.ensure_database(pg_server, name)
            stack.callback(postgres.drop_database, pg_server, name)
            others.append(name)
        else:
            postgres.ensure_database(pg_server, AIRFLOW_DB)
        for database in others:
            url = replace_database(pg_server, database)
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                psycopg.connect(url, host="127.0.0.1", user=LOGIN_ROLE, password=PASSWORD).close()


def test_no_role_dtimon_creates_may_run_programs_or_touch_server_files(owner: psycopg.Connection) -> None:
    rows = owner.execute(
        "select rolname, rolsuper, pg_has_role(rolname, 'pg_execute_server_program', 'usage'),"
        " pg_has_role(rolname, 'pg_read_server_files', 'usage'), pg_has_role(rolname, 'pg_write_server_files', 'usage')"
        " from pg_roles where rolname in (%s, %s) order by 1",
        (READER_ROLE, LOGIN_ROLE),
    ).fetchall()
    assert rows == [(READER_ROLE, False, False, False, False), (LOGIN_ROLE, False, False, False, False)]


def test_bi_holds_no_personal_data(owner: psycopg.Connection) -> None:
    assert find_personal_data(owner) == []


def test_the_scan_finds_personal_data_where_there_is_some(owner: psycopg.Connection) -> None:
    # the probes outside bi hold a citizen id under a personal column name
    assert find_personal_data(owner, "raw") == [
        "raw.probe.citizen_id: named for personal data",
        "raw.probe.citizen_id: 1 values look like a 12-digit id",
    ]
    owner.execute("create schema leak")
    try:
        owner.execute("create table leak.t (note text, contact jsonb)")
        owner.execute(
            "insert into leak.t values ('gọi 0912345678', '{\"mail\": \"an.nguyen@example.vn\"}'), ('ok', null)"
        )
        assert find_personal_data(owner, "leak") == [
            "leak.t.note: 1 values look like a phone",
            "leak.t.contact: 1 values look like a e-mail",
        ]
    finally:
        owner.execute("drop schema leak cascade")


def test_the_role_migration_applies_and_is_re_runnable(warehouse_url: str) -> None:
    """0550 runs through the migration runner, and its DDL again on a server that has the roles."""
    migrate(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute((MIGRATIONS_DIR / "0550_bi_login.sql").read_text())
        assert conn.execute(
            "select count(*) from pg_roles where rolname in (%s, %s)", (LOGIN_ROLE, READER_ROLE)
        ).fetchone() == (2,)
        conn.execute((MIGRATIONS_DIR / "0700_bi_connect.sql").read_text())
        assert conn.execute(
            "select has_database_privilege('public', current_database(), 'temporary'),"
            " has_database_privilege('public', current_database(), 'connect'),"
            " has_database_privilege(%s, current_database(), 'connect')",
            (READER_ROLE,),
        ).fetchone() == (False, False, True)
