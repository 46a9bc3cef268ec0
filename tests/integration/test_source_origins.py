"""The warehouse remembers which endpoint or data folder filled each source and refuses another."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from core.settings import Settings
from infra.airflow_env import source_origin, source_settings
from ingestion.declarations import blank_record
from ingestion.localtime import VN_TZ
from ingestion.origins import OriginMismatch, claim, reset_source, url_origin
from ingestion.runner import ingest
from ingestion.sandbox.province import Province
from ingestion.sandbox.server import SandboxServer
from ingestion.schema import migrate
from ingestion.sources import SOURCES, Endpoint
from ingestion.sources.onestop_records import Dossier

DAY = datetime(2025, 9, 1, tzinfo=VN_TZ)


def _settings(**env: str) -> Settings:
    return Settings.from_env({"DTIMON_ENV": "test", **env})


def _origin(settings: Settings) -> str:
    return source_origin(settings, source_settings(settings, SOURCES["onestop"]))


def test_the_origin_is_stable_for_the_same_configuration(tmp_path: Path) -> None:
    assert _origin(_settings()) == "sandbox seed 20250901 scale 1"
    assert _origin(_settings(DTIMON_SANDBOX_PORT="9999")) == "sandbox seed 20250901 scale 1"
    assert _origin(_settings(DTIMON_SANDBOX_SEED="7", DTIMON_SANDBOX_SCALE="0.5")) == (
        "sandbox seed 7 scale 0.5"
    )
    assert _origin(_settings(DTIMON_SANDBOX_DATA_DIR=str(tmp_path))) == f"sandbox data folder {tmp_path}"
    other_province = dataclasses.replace(_settings(), province_code="01")  # a seed listing 01 too
    assert _origin(other_province) == "sandbox seed 20250901 scale 1 province 01"
    real = _settings(DTIMON_ONESTOP_URL="https://user:secret@dvc.example.gov.vn/api/?x=1")
    assert _origin(real) == "https://dvc.example.gov.vn/api"
    assert url_origin("http://127.0.0.1:8102/") == "http://127.0.0.1:8102"


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    migrate(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        yield connection


def _succeeded_batch(conn: psycopg.Connection) -> None:
    conn.execute(
        "insert into ops.batches (source, entity, interval_start, interval_end, status, started_at) "
        "values ('onestop', 'agencies', %s, %s, 'succeeded', now())",
        (DAY, DAY + timedelta(days=1)),
    )


def test_a_second_origin_is_refused_with_one_line(conn: psycopg.Connection) -> None:
    claim(conn, "onestop", "sandbox seed 20250901 scale 1")
    _succeeded_batch(conn)
    claim(conn, "onestop", "sandbox seed 20250901 scale 1")  # the same origin again is fine

    with pytest.raises(OriginMismatch) as refused:
        claim(conn, "onestop", "sandbox data folder /data/province")
    assert str(refused.value) == (
        "refused: source 'onestop' in this warehouse was filled from sandbox seed 20250901 scale 1, "
        "but this ingest points at sandbox data folder /data/province; to start afresh run "
        "`make clean` (embedded warehouse) or `dtimon reset-source onestop`"
    )
    assert "\n" not in str(refused.value)
    assert conn.execute("select origin from ops.source_origins").fetchall() == [
        ("sandbox seed 20250901 scale 1",)
    ]


def test_a_source_with_nothing_loaded_adopts_the_new_origin(conn: psycopg.Connection) -> None:
    claim(conn, "onestop", "sandbox seed 1 scale 1")  # e.g. its first ingest failed
    claim(conn, "onestop", "sandbox seed 2 scale 1")
    assert conn.execute("select origin from ops.source_origins").fetchall() == [("sandbox seed 2 scale 1",)]


def test_reset_source_starts_afresh(conn: psycopg.Connection) -> None:
    claim(conn, "onestop", "sandbox seed 1 scale 1")
    _succeeded_batch(conn)
    deleted = reset_source(conn, "onestop")
    assert deleted["ops.batches"] == 1 and deleted["ops.source_origins"] == 1
    claim(conn, "onestop", "sandbox data folder /data/province")
    assert conn.execute("select origin from ops.source_origins").fetchall() == [
        ("sandbox data folder /data/province",)
    ]


def _dossier(n: int) -> dict[str, str]:
    return blank_record(Dossier) | {
        "MaHoSo": f"000.00.03.H57-250901-{n:05d}",
        "MaTTHC": "1.000001",
        "KenhThucHien": "1",
        "NgayTiepNhan": "20250901080000",
        "NgayHenTra": "20250905170000",
        "TrangThaiHoSo": "2",
        "_version": "1",
        "_updated_at": "20250901090000",
    }


def test_an_ingest_from_another_data_folder_is_refused_before_loading(warehouse_url: str) -> None:
    province = Province(
        agencies=[],
        procedures=[],
        dossiers=[_dossier(1), _dossier(2)],
        progress=[],
        clock_end=datetime(2025, 10, 1),
    )
    with SandboxServer(province, username="u", password="p", log=False) as server:

        def run(origin: str) -> None:
            ingest(
                "onestop",
                "dossiers",
                DAY,
                DAY + timedelta(days=1),
                endpoint=Endpoint(server.url, "u", "p", origin=origin),
                settings=_settings(),
                warehouse_url=warehouse_url,
            )

        run("sandbox seed 20250901 scale 1")
        with pytest.raises(
            OriginMismatch, match="filled from sandbox seed 20250901 scale 1, but this ingest"
        ):
            run("sandbox data folder /data/supplied")
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select status, rows_loaded from ops.batches").fetchall() == [("succeeded", 2)]
        assert conn.execute("select count(*) from raw.onestop__dossiers").fetchone()[0] == 2
