"""The one PostgreSQL URL conversion: parse, render, and every hop built on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.warehouse_url import PgUrl, mask_url, replace_database
from infra.airflow_env import postgres_conn, sqlalchemy_url
from infra.dbt import connection_env
from infra.tasks import url_of_connection

SPECIAL = "p@ss:w/rd%#?& é"


def test_parse_decodes_user_and_password_with_special_characters() -> None:
    url = "postgresql://dt%40user:p%40ss%3Aw%2Frd%25%23%3F%26%20%C3%A9@db.example:6543/ware_house"
    parts = PgUrl.parse(url)
    assert parts == PgUrl("db.example", 6543, "dt@user", SPECIAL, "ware_house")
    assert parts.render() == url


@pytest.mark.parametrize(
    "parts",
    [
        PgUrl("db.example", 6543, "dt@user", SPECIAL, "ware_house", (("sslmode", "require"),)),
        PgUrl("127.0.0.1", None, "postgres", "", "dtimon"),
        PgUrl("::1", 5433, "a b", "x/y", "d-b"),
        PgUrl("/var/run/postgresql", None, "me", "", "dtimon"),
        PgUrl("h", 5432, "", "", "db", (("sslmode", "verify-full"), ("connect_timeout", "10"))),
    ],
)
def test_render_then_parse_is_exact(parts: PgUrl) -> None:
    assert PgUrl.parse(parts.render()) == parts


def test_missing_port_stays_missing_and_query_options_are_kept_in_order() -> None:
    parts = PgUrl.parse("postgres://u@h/db?sslmode=require&application_name=dtimon")
    assert parts.port is None
    assert parts.options == (("sslmode", "require"), ("application_name", "dtimon"))
    assert parts.render() == "postgresql://u@h/db?sslmode=require&application_name=dtimon"


def test_parts_given_as_query_parameters() -> None:
    parts = PgUrl.parse("postgresql:///?host=db.example&port=6000&user=u&password=s%40cret&dbname=w")
    assert (parts.host, parts.port, parts.user, parts.password, parts.database) == (
        "db.example",
        6000,
        "u",
        "s@cret",
        "w",
    )
    assert parts.options == ()


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "postgresql://u@h:notaport/db", "postgresql://u@h/db?port=x"]
)
def test_malformed_urls_are_config_errors_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        PgUrl.parse(url.replace("u@", "u:topsecret@"))
    assert "topsecret" not in str(caught.value)


def test_replace_database_keeps_credentials_port_and_options() -> None:
    url = "postgresql://u:p%40ss@h:6543/dtimon?sslmode=require"
    assert replace_database(url, "airflow") == "postgresql://u:p%40ss@h:6543/airflow?sslmode=require"


def test_mask_url_hides_the_password_of_any_url() -> None:
    assert mask_url("postgresql://u:p%40ss@h:6543/db") == "postgresql://u:***@h:6543/db"
    assert mask_url("https://user:pw@api.example/x?y=1") == "https://user:***@api.example/x?y=1"
    assert mask_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert "p@ss" not in str(PgUrl.parse("postgresql://u:p%40ss@h/db"))
    assert "p@ss" not in repr(PgUrl.parse("postgresql://u:p%40ss@h/db"))


def test_sqlalchemy_url_keeps_special_characters_encoded() -> None:
    assert (
        sqlalchemy_url("postgres://u:p%40ss@h:6543/airflow")
        == "postgresql+psycopg2://u:p%40ss@h:6543/airflow"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"postgresql://dt%40user:{'p%40ss%3Aw%2Frd%25%23%3F%26%20%C3%A9'}@db.example/w?sslmode=require",
            "postgresql://dt%40user:p%40ss%3Aw%2Frd%25%23%3F%26%20%C3%A9@db.example:5432/w?sslmode=require",
        ),
        ("postgresql://postgres@127.0.0.1:55432/dtimon", "postgresql://postgres@127.0.0.1:55432/dtimon"),
    ],
)
def test_warehouse_url_round_trips_through_an_airflow_connection(url: str, expected: str) -> None:
    from airflow.models.connection import Connection

    assert url_of_connection(Connection.from_json(postgres_conn(url), conn_id="w")) == expected


def test_dbt_profile_variables_come_from_the_same_parts() -> None:
    env = connection_env("postgresql://dt%40user:p%40ss%3Aw@db.example/ware_house?sslmode=require")
    assert env == {
        "DTIMON_DBT_HOST": "db.example",
        "DTIMON_DBT_PORT": "5432",
        "DTIMON_DBT_USER": "dt@user",
        "DTIMON_DBT_DBNAME": "ware_house",
        "DTIMON_DBT_SSLMODE": "require",
        "DBT_ENV_SECRET_DTIMON_PASSWORD": "p@ss:w",
    }
    with pytest.raises(ConfigError):
        connection_env("postgresql://u@h:5432/")


SOCKET_URL = "postgresql://postgres@/dtimon?host=/tmp/dtimon-0-ab12cd34&port=55432"


def test_a_socket_url_keeps_its_folder_and_port_as_parameters() -> None:
    parts = PgUrl.parse(SOCKET_URL)
    assert (parts.host, parts.port, parts.user, parts.database) == (
        "/tmp/dtimon-0-ab12cd34",
        55432,
        "postgres",
        "dtimon",
    )
    assert parts.render() == SOCKET_URL
    assert replace_database(SOCKET_URL, "airflow") == SOCKET_URL.replace("/dtimon?", "/airflow?")
    assert sqlalchemy_url(SOCKET_URL) == SOCKET_URL.replace("postgresql://", "postgresql+psycopg2://")
    assert mask_url(SOCKET_URL) == SOCKET_URL


def test_a_socket_url_through_airflow_and_dbt() -> None:
    from airflow.models.connection import Connection

    assert url_of_connection(Connection.from_json(postgres_conn(SOCKET_URL), conn_id="w")) == SOCKET_URL
    env = connection_env(SOCKET_URL)
    assert (env["DTIMON_DBT_HOST"], env["DTIMON_DBT_PORT"], env["DTIMON_DBT_USER"]) == (
        "/tmp/dtimon-0-ab12cd34",
        "55432",
        "postgres",
    )


def test_the_embedded_warehouse_is_reached_over_a_short_socket_path_at_any_depth(tmp_path: Path) -> None:
    from core.settings import Settings

    deep = tmp_path.joinpath(*(["a-rather-long-folder-name"] * 12))  # a checkout 300+ characters deep
    settings = Settings.from_env({"DTIMON_HOME": str(deep / ".dtimon"), "DTIMON_PG_PORT": "65535"})
    parts = PgUrl.parse(settings.warehouse_url)
    assert parts.host == str(settings.socket_dir) and parts.port == 65535 and parts.user == "postgres"
    socket_path = settings.socket_dir / ".s.PGSQL.65535"
    assert len(str(settings.pgdata)) > 300 and len(str(socket_path).encode()) < 64  # PostgreSQL's limit: 107
    other = Settings.from_env({"DTIMON_HOME": str(deep / "other"), "DTIMON_PG_PORT": "65535"})
    assert other.socket_dir != settings.socket_dir  # one per installation
    assert settings.socket_dir.name.startswith(f"dtimon-{os.geteuid()}-")


def test_a_socket_url_for_tools_that_want_a_host_name() -> None:
    assert PgUrl.parse(SOCKET_URL).sqlalchemy_with_host() == (
        "postgresql+psycopg2://postgres@localhost:55432/dtimon",
        {"connect_args": {"host": "/tmp/dtimon-0-ab12cd34"}},
    )
    tcp = "postgresql://u:p@db.example:6543/w"
    assert PgUrl.parse(tcp).sqlalchemy_with_host() == (sqlalchemy_url(tcp), {})
