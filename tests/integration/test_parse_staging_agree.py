"""The parser and the staging casts agree on every edge value, against the real PostgreSQL.

The same native values go to the parser (`ingestion/sources/onestop.py`, shapes declared in
`onestop_records.py`) and to the staging macros (`onestop_number`, `onestop_ts`, `onestop_code`,
compiled by dbt and run on PostgreSQL; codes checked against the code-list seeds as loaded by
`dbt seed`). Every value has its expected outcome written by hand: accepted with this value, or
refused. The parser refuses by rejecting the record; staging refuses a time by failing the query
and a number or a code by giving NULL (or a code not in the seed) — which raw never holds,
because the parser rejected it first.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import dbt_fixtures as fx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from infra.dbt import DBT_PROJECT_DIR, dbt_environment, dbt_executable, run_dbt
from ingestion.record_rules import Rejected
from ingestion.sources.onestop import parse_dossier, parse_procedure

REFUSED = object()
SPLIT = "\n-- next cast --\n"
Staging = tuple[psycopg.Connection, dict[str, str]]

NUMBERS: list[tuple[Any, Any]] = [
    ("5", Decimal(5)),
    ("0,5", Decimal("0.5")),
    ("0.5", Decimal("0.5")),
    ("12,25", Decimal("12.25")),
    (" 5 ", Decimal(5)),
    ("", None),
    ("   ", None),
    (5, Decimal(5)),  # a JSON number
    (0.5, Decimal("0.5")),
    ("1e3", REFUSED),
    ("-1", REFUSED),
    ("1,000.5", REFUSED),
    (".5", REFUSED),
    ("5.", REFUSED),
    ("5 ngày", REFUSED),
    ("٥", REFUSED),  # an Arabic-Indic digit: str.isdigit() says yes, [0-9] says no
    ("năm", REFUSED),
]

TIMES: list[tuple[Any, Any]] = [
    ("20250905083015", fx.local("2025-09-05 08:30:15")),
    (" 20250905083015 ", fx.local("2025-09-05 08:30:15")),
    ("20241231235959", fx.local("2024-12-31 23:59:59")),
    ("20240229000000", fx.local("2024-02-29 00:00")),  # leap day
    ("", None),
    ("  ", None),
    (20250905083015, fx.local("2025-09-05 08:30:15")),  # a JSON number
    ("20250229000000", REFUSED),  # no 29 February in 2025
    ("20250230120000", REFUSED),
    ("20251301000000", REFUSED),
    ("20250101250000", REFUSED),  # PostgreSQL alone would read 2 Jan 01:00
    ("20250101240000", REFUSED),
    ("20250101126000", REFUSED),  # PostgreSQL alone would read 13:00
    ("20250101125960", REFUSED),
    ("202509050830", REFUSED),  # too short (PostgreSQL alone would read 08:30)
    ("2025090508301500", REFUSED),
    ("2025-09-05", REFUSED),
    ("20250905 083015", REFUSED),
    ("2025090508301５", REFUSED),  # a full-width digit
    ("19751231235959", REFUSED),  # the years both accept are 1976–2199 (UTC+7 throughout)
    ("19000101000000", REFUSED),
    ("22000101000000", REFUSED),
    ("21991231235959", fx.local("2199-12-31 23:59:59")),
    ("19760101000000", fx.local("1976-01-01 00:00")),
    ("19891231235959", fx.local("1989-12-31 23:59:59")),
    ("19900101000000", fx.local("1990-01-01 00:00")),
    ("21000101000000", fx.local("2100-01-01 00:00")),
    ("20250431000000", REFUSED),  # 31 April
    ("yesterday", REFUSED),
]

STATUSES: list[tuple[Any, Any]] = [
    ("9", "9"),
    ("10", "10"),
    (" 9 ", "9"),
    (9, "9"),  # a JSON number
    ("09", REFUSED),
    ("11", REFUSED),
    ("0", REFUSED),
    ("X", REFUSED),
    ("", REFUSED),  # required
]

CHANNELS: list[tuple[Any, Any]] = [
    ("2", "2"),
    (" 1", "1"),
    (3, "3"),
    ("", None),  # optional
    ("4", REFUSED),
    ("02", REFUSED),
    ("online", REFUSED),
]

BASE_DOSSIER = fx.dossier(
    "000.00.12.H57-250905-00001",
    1,
    updated="2025-09-05 08:30",
    status="2",
    channel="1",
    procedure="1.000001",
    received="2025-09-05 08:30",
)


@pytest.fixture(scope="module")
def staging(module_warehouse_url: str) -> Iterator[Staging]:
    """An autocommit connection (a failed cast spoils nothing) and the compiled staging casts of
    `v.x`, the text of the JSON value %(value)s as `record ->> 'field'` gives it."""
    run_dbt(
        ["seed", "--select", "onestop_dossier_statuses onestop_channels onestop_online_levels"],
        module_warehouse_url,
    )
    casts = {
        "number": "{{ onestop_number('v.x') }}",
        "time": "{{ onestop_ts('v.x') }}",
        "code": "{{ onestop_code('v.x') }}",
        "is_status": "{{ onestop_code('v.x') }} in (select status_code from {{ ref('onestop_dossier_statuses') }})",
        "is_channel": "{{ onestop_code('v.x') }} in (select channel_code from {{ ref('onestop_channels') }})",
    }
    inline = SPLIT.join(
        f"select {cast} from (select jsonb_build_object('field', %(value)s::jsonb) ->> 'field' as x) as v"
        for cast in casts.values()
    )
    output = subprocess.run(
        [
            str(dbt_executable()),
            "compile",
            "--quiet",
            "--inline",
            inline,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        env=dbt_environment(module_warehouse_url),
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    compiled = dict(zip(casts, output.split(SPLIT), strict=True))
    assert all("btrim" in sql and "{{" not in sql for sql in compiled.values())
    with psycopg.connect(module_warehouse_url, autocommit=True) as conn:
        yield conn, compiled


def _staging(staging: Staging, value: Any) -> dict[str, Any]:
    """The casts of `value`, each its own query; a cast that fails the query gives REFUSED."""
    conn, queries = staging
    found: dict[str, Any] = {}
    for name, sql in queries.items():
        try:
            row = conn.execute(sql, {"value": Jsonb(value)}).fetchone()
        except psycopg.errors.DataError:
            found[name] = REFUSED
            continue
        assert row is not None
        found[name] = row[0]
    return found


def _as_timestamptz(staging: Staging, text: str) -> datetime:
    """A row's time value as COPY reads it into a timestamptz column."""
    conn, _ = staging
    row = conn.execute("select %s::text::timestamptz", (text,)).fetchone()
    assert row is not None
    return row[0]


def _parses(parse, record: dict[str, Any]) -> Any:
    try:
        return parse(record)
    except Rejected:
        return REFUSED


@pytest.mark.parametrize(("value", "expected"), NUMBERS, ids=[repr(v) for v, _ in NUMBERS])
def test_numbers(staging: Staging, value: Any, expected: Any) -> None:
    procedure = fx.procedure("1.000001", "Khai sinh", [("1", "5", "Ngày làm việc", "0")], "TOANTRINH")
    procedure["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = value
    fee = copy.deepcopy(BASE_DOSSIER) | {"DanhSachLePhi": [{"MaPhiLePhi": "LP1", "Gia": value}]}
    for parse, record in ((parse_procedure, procedure), (parse_dossier, fee)):
        assert (_parses(parse, record) is REFUSED) == (expected is REFUSED), record
    cast = _staging(staging, value)
    blank = isinstance(value, str) and not value.strip()
    staging_accepts = cast["number"] is not None or blank
    assert staging_accepts == (expected is not REFUSED)
    if expected is not REFUSED:
        assert cast["number"] == expected


#: Times staging can cast but the parser refuses as implausible for a case (before 1990, after
#: the end of next year): the parser is stricter, never looser, than staging.
IMPLAUSIBLE = {"19760101000000", "19891231235959", "21000101000000", "21991231235959"}


@pytest.mark.parametrize(("value", "expected"), TIMES, ids=[repr(v) for v, _ in TIMES])
def test_times(staging: Staging, value: Any, expected: Any) -> None:
    """Everything the parser accepts, staging casts to the same value (staging may accept more)."""
    parser_accepts = expected is not REFUSED and value not in IMPLAUSIBLE
    parsed = _parses(parse_dossier, copy.deepcopy(BASE_DOSSIER) | {"NgayTiepNhan": value})
    assert (parsed is not REFUSED) == parser_accepts
    supplement = copy.deepcopy(BASE_DOSSIER) | {"DanhSachHoSoBoSung": [{"NgayBoSung": value}]}
    assert (_parses(parse_dossier, supplement) is not REFUSED) == parser_accepts
    if expected is not None and parser_accepts:
        # the parser's own reading of a time: the row's source_updated_at, as PostgreSQL reads it
        row = parse_dossier(copy.deepcopy(BASE_DOSSIER) | {"_updated_at": value})
        assert _as_timestamptz(staging, row.values[0]) == expected
    assert _staging(staging, value)["time"] == expected


@pytest.mark.parametrize(("value", "expected"), STATUSES, ids=[repr(v) for v, _ in STATUSES])
def test_status_codes(staging: Staging, value: Any, expected: Any) -> None:
    parsed = _parses(parse_dossier, copy.deepcopy(BASE_DOSSIER) | {"TrangThaiHoSo": value})
    assert (parsed is REFUSED) == (expected is REFUSED)
    cast = _staging(staging, value)
    assert bool(cast["is_status"]) == (expected is not REFUSED)
    if expected is not REFUSED:
        assert cast["code"] == expected


@pytest.mark.parametrize(("value", "expected"), CHANNELS, ids=[repr(v) for v, _ in CHANNELS])
def test_channel_codes(staging: Staging, value: Any, expected: Any) -> None:
    parsed = _parses(parse_dossier, copy.deepcopy(BASE_DOSSIER) | {"KenhThucHien": value})
    assert (parsed is REFUSED) == (expected is REFUSED)
    cast = _staging(staging, value)
    staging_accepts = cast["code"] is None or bool(cast["is_channel"])  # optional: blank is fine
    assert staging_accepts == (expected is not REFUSED)
    if expected is not REFUSED:
        assert cast["code"] == expected


def test_a_clean_record_passes_both(staging: Staging) -> None:
    row = parse_dossier(copy.deepcopy(BASE_DOSSIER))
    assert _as_timestamptz(staging, row.values[0]) == fx.local("2025-09-05 08:30")
