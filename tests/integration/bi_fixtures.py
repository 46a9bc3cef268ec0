"""A published `bi` built from hand-written marts with the contract's columns (no dbt run).

Every catalogue indicator gets province values for August and September 2025 (September
provisional) and for the third quarter; every Decision 766 agency-level indicator also gets
values for two agencies.
Units of government, for every catalogue indicator, both scopes (UNIT_FIGURES): in June 2025 the
province, district 480 and its communes 19753 and 19754 as they were (historical), and the two
communes merged into 19753 on 1 July 2025 (current: the sums of their figures); in September
commune 19753 in both views. No district after June.
A second publication restates one value (766-2.1, agency A, September: 67/78 → 70/85), so
`bi.restatements` and `bi.publication_history` have rows too. The marts carry comments, as
dbt's persist_docs leaves them.
The operations centre (IOC): three cameras (CAMERAS) with their minutes up on 1–3 September and
31 August (CAMERA_DAYS), their incidents per day and type (CAMERA_EVENTS) and six field reports
(FIELD_REPORTS), of every urgency tier, answered in time, late, or not yet.
Project 06 (Decision 06/QĐ-TTg): calls to the national population database (POPULATION_CALLS),
twelve in September and two in August, by the two agencies and a member code the agency catalogue
does not know (UNKNOWN_MEMBER), on the seed's three services and one it lacks; two failures with
fault code Server.ServerProxy.ServiceFailed (one retried with the same message id: two calls) and
the unknown member's refusal (Server.ServerProxy.AccessDenied); one call just after local midnight
on 1 September (31 August in UTC). Residents and VNeID accounts (POPULATION_STATS) of the two
communes in August and September (one September figure revised, one August level-2 count missing)
and of 19753 in June, under its name before the merger.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
from passed_gate import publish_passed

from core.migrations import migrate
from publishing.metabase.definitions import CATALOGUE_CSV, read_seed

RATING_BANDS_CSV = CATALOGUE_CSV.with_name("rating_bands.csv")
FRAMEWORKS_CSV = CATALOGUE_CSV.with_name("frameworks.csv")

AGENCIES = (("000.00.01.H57", "Sở Tư pháp"), ("000.00.02.H57", "Sở Y tế"))
MONTHS = ("2025-08-01", "2025-09-01")
QUARTER = "2025-07-01"
PROVINCE = ("H57", "Tỉnh")
JUNE = "2025-06-01"
#: (month, level, scope, view, unit id, unit name, numerator, denominator): June before the merger
#: (province area = provincial agencies' tier + the district's area = its committee + its communes),
#: today's merged commune = the sum of its predecessors; September after it.
UNIT_FIGURES = tuple(
    figure
    for scope in ("area", "tier")
    for figure in (
        (JUNE, "commune", scope, "historical", "19753", "phường Phú Hội", 12, 14),
        (JUNE, "commune", scope, "historical", "19754", "phường Phú Nhuận", 8, 10),
        (JUNE, "commune", scope, "current", "19753", "phường Thuận Hóa", 20, 24),
        (MONTHS[1], "commune", scope, "historical", "19753", "phường Thuận Hóa", 15, 16),
        (MONTHS[1], "commune", scope, "current", "19753", "phường Thuận Hóa", 15, 16),
    )
) + tuple(
    (JUNE, level, scope, view, unit_id, name, numerator, denominator)
    for level, scope, unit_id, name, numerator, denominator in (
        ("district", "area", "480", "quận Thuận Hóa", 30, 36),
        ("district", "tier", "480", "quận Thuận Hóa", 10, 12),
        ("province", "area", *PROVINCE, 90, 100),
        ("province", "tier", *PROVINCE, 60, 64),
    )
    for view in ("historical", "current")
    if level != "district" or view == "historical"
)

#: Late dossiers of agency A (agency, name, code, procedure, its name, due, ended, open, basis, days over):
#: two of procedure 1.001234, one of 1.005678 (still open), one of 1.009999 with two supplement requests.
LATE_DOSSIERS = tuple(
    (
        *AGENCIES[0],
        f"{AGENCIES[0][0]}-250902-{n:04d}",
        procedure,
        name,
        due,
        ended,
        ended is None,
        basis,
        over,
    )
    for n, procedure, name, due, ended, basis, over in (
        (1, "1.001234", "Cấp phiếu lý lịch tư pháp", "2025-09-09", "2025-09-11 10:00+07", "promised_date", 2),
        (2, "1.001234", "Cấp phiếu lý lịch tư pháp", "2025-09-09", "2025-09-10 10:00+07", "promised_date", 1),
        (3, "1.005678", "Chứng thực bản sao", "2025-09-09", None, "promised_date", 8),
        (4, "1.009999", "Đăng ký khai sinh", None, "2025-09-08 10:00+07", "multiple_supplements", None),
    )
)

#: (document, sender, day of September, electronic, signed, revoked, recipients)
DOCUMENTS = (
    ("D1", AGENCIES[0][0], "03", True, True, False, 2),
    ("D2", AGENCIES[0][0], "04", False, True, False, 1),
    ("D3", AGENCIES[1][0], "02", True, False, True, 1),
    ("D4", "000.00.00.G22", "05", True, True, False, 3),
)

#: The communes cameras and reports stand in, as in force since the merger of 1 July 2025.
COMMUNES = (("19753", "phường Thuận Hóa"), ("19774", "phường Phú Xuân"))
#: bi.dim_admin_unit's versions of them (code, name, valid from, valid to): 19753 had another name before
ADMIN_UNITS = (
    (COMMUNES[0][0], "phường Phú Hội", "2020-01-01", "2025-07-01"),
    *((code, name, "2025-07-01", None) for code, name in COMMUNES),
)
#: (camera, name, vendor, agency, commune code, commune name, installed on)
CAMERAS = (
    ("cam-01", "Ngã tư Lê Lợi", "frigate", AGENCIES[0][0], *COMMUNES[0], "2025-01-15"),
    ("cam-02", "Cầu Trường Tiền", "hikvision", AGENCIES[0][0], *COMMUNES[0], "2025-01-15"),
    ("cam-03", "Chợ Đông Ba", "frigate", AGENCIES[1][0], *COMMUNES[1], "2025-09-02"),
)
#: (camera, day, minutes up of 1,440): cam-02 down 6 hours on 2 Sep, cam-03 (installed 2 Sep) down all 3 Sep
CAMERA_DAYS = (
    ("cam-01", "2025-08-31", 1440), ("cam-02", "2025-08-31", 0),
    ("cam-01", "2025-09-01", 1440), ("cam-02", "2025-09-01", 1440),
    ("cam-01", "2025-09-02", 1440), ("cam-02", "2025-09-02", 1080), ("cam-03", "2025-09-02", 1440),
    ("cam-01", "2025-09-03", 1440), ("cam-02", "2025-09-03", 1440), ("cam-03", "2025-09-03", 0),
)  # fmt: skip
#: (day, camera, event type, incidents, false positives, closed by the timeout, still open)
CAMERA_EVENTS = (
    ("2025-08-31", "cam-01", "motion", 5, 0, 0, 0),
    ("2025-09-01", "cam-01", "traffic_violation", 3, 1, 0, 0),
    ("2025-09-02", "cam-01", "traffic_violation", 1, 0, 0, 0),
    ("2025-09-02", "cam-01", "crowd", 1, 0, 0, 0),
    ("2025-09-02", "cam-02", "intrusion", 2, 0, 1, 0),
    ("2025-09-03", "cam-03", "fire_smoke", 1, 0, 0, 1),
    ("2025-09-03", "cam-03", "traffic_violation", 0, 2, 0, 0),
)
#: (report, agency, commune, urgency, made, answered, processed, answer due, resolve due, answered in time,
#: resolved in time): urgent in time; high answered late; normal overdue unanswered, another not yet due;
#: one in August resolved late, one in June in 19753 under its name before the merger
FIELD_REPORTS = (
    ("PA-01", AGENCIES[0][0], COMMUNES[0][0], "khan_cap", "2025-09-01 08:00+07", "2025-09-01 09:30+07",
     "2025-09-01 11:00+07", "2025-09-01 10:00+07", "2025-09-01 12:00+07", True, True),
    ("PA-02", AGENCIES[0][0], COMMUNES[0][0], "cao", "2025-09-02 10:00+07", "2025-09-03 12:00+07",
     None, "2025-09-03 10:00+07", "2025-09-03 10:00+07", False, None),
    ("PA-03", AGENCIES[1][0], COMMUNES[1][0], "thuong", "2025-09-03 09:00+07", None,
     None, "2025-09-11 00:00+07", "2025-09-11 00:00+07", False, None),
    ("PA-04", AGENCIES[1][0], COMMUNES[1][0], "thuong", "2025-09-25 09:00+07", None,
     None, "2025-10-03 00:00+07", "2025-10-03 00:00+07", None, None),
    ("PA-05", AGENCIES[1][0], COMMUNES[1][0], "cao", "2025-08-20 09:00+07", "2025-08-20 10:00+07",
     "2025-08-22 10:00+07", "2025-08-21 09:00+07", "2025-08-21 09:00+07", True, False),
    ("PA-06", AGENCIES[0][0], COMMUNES[0][0], "khan_cap", "2025-06-10 08:00+07", "2025-06-10 11:00+07",
     None, "2025-06-10 10:00+07", "2025-06-10 12:00+07", False, None),
)  # fmt: skip

#: A member code of the integration platform that the agency catalogue does not know.
UNKNOWN_MEMBER = "000.00.99.H57"
#: (request id, member code, subsystem, service, called at (Vietnam time), latency ms, succeeded, fault code):
#: in September agency A (one-stop shop) on 037 and 033, its failure on 2 Sep retried a minute later with the
#: same message id; agency B (document system) on 037 at 00:30 on 1 Sep and failing on 3 Sep, on the
#: unconfirmed XacMinh service and on TraCuuHoKhau, a service the seed lacks; the unknown member refused
#: on 2 Sep; one call of each agency in August.
POPULATION_CALLS = (
    ("R-01", AGENCIES[0][0], "DVC", "ChiaSeThongTinCongDan", "2025-09-01 08:00", 100, True, None),
    ("R-02", AGENCIES[0][0], "DVC", "ChiaSeThongTinCongDan", "2025-09-01 09:00", 200, True, None),
    ("R-03", AGENCIES[0][0], "DVC", "ChiaSeThongTinCongDan", "2025-09-02 10:00", 400, True, None),
    ("R-04", AGENCIES[0][0], "DVC", "ChiaSeThongTinCongDan", "2025-09-02 11:00", 3000, False,
     "Server.ServerProxy.ServiceFailed"),
    ("R-04", AGENCIES[0][0], "DVC", "ChiaSeThongTinCongDan", "2025-09-02 11:01", 1000, True, None),
    ("R-05", AGENCIES[0][0], "DVC", "XacThucThongTinCongDan", "2025-09-03 14:00", 500, True, None),
    ("R-06", AGENCIES[0][0], "DVC", "XacThucThongTinCongDan", "2025-09-03 15:00", 700, True, None),
    ("R-07", AGENCIES[1][0], "QLVB", "ChiaSeThongTinCongDan", "2025-09-01 00:30", 300, True, None),
    ("R-08", AGENCIES[1][0], "QLVB", "ChiaSeThongTinCongDan", "2025-09-03 09:00", 2000, False,
     "Server.ServerProxy.ServiceFailed"),
    ("R-09", UNKNOWN_MEMBER, "DVC", "XacThucThongTinCongDan", "2025-09-02 08:00", 50, False,
     "Server.ServerProxy.AccessDenied"),
    ("R-10", AGENCIES[1][0], "QLVB", "XacMinhThongTinNhanThan", "2025-09-03 10:00", 800, True, None),
    ("R-11", AGENCIES[1][0], "QLVB", "TraCuuHoKhau", "2025-09-02 16:00", 600, True, None),
    ("R-20", AGENCIES[0][0], "DVC", "ChiaSeThongTinCongDan", "2025-08-15 10:00", 150, True, None),
    ("R-21", AGENCIES[1][0], "QLVB", "ChiaSeThongTinCongDan", "2025-08-31 23:50", 250, True, None),
)  # fmt: skip
#: (commune, month, residents, level-1 accounts, level-2 accounts, revised): 19753's September figure was
#: revised, 19774's August level-2 count is missing; 19753 in June, before the merger (phường Phú Hội)
POPULATION_STATS = (
    (COMMUNES[0][0], JUNE, 10000, 3000, 5000, False),
    (COMMUNES[0][0], MONTHS[0], 20000, 5000, 12000, False),
    (COMMUNES[1][0], MONTHS[0], 15000, 4000, None, False),
    (COMMUNES[0][0], MONTHS[1], 20400, 5100, 12750, True),
    (COMMUNES[1][0], MONTHS[1], 15200, 4100, 6080, False),
)

DDL = """
create schema if not exists marts;
create schema if not exists reference;
create table marts.ind_values (
    indicator_id text not null, framework text not null, period_kind text not null, period_start date not null,
    level text not null, scope text not null, view text not null, unit_id text not null, unit_name text,
    numerator numeric, denominator numeric, value numeric, value_unit text not null,
    target numeric, target_confirmed boolean, met boolean, points numeric,
    status text not null, period_as_of timestamptz not null,
    origin text not null default 'computed'
);
comment on table marts.ind_values is 'One row per indicator, period, level, scope, view and unit.';
comment on column marts.ind_values.indicator_id is 'Stable indicator id, e.g. 766-2.1.';
comment on column marts.ind_values.numerator is 'What is counted (e.g. dossiers on time).';
comment on column marts.ind_values.points is 'Decision 766 points earned.';
create table marts.dim_agency (
    agency_id text not null, agency_name text, agency_level text not null, parent_agency_id text,
    valid_from timestamptz not null, valid_to timestamptz, is_current boolean not null
);
comment on table marts.dim_agency is 'Agencies, one row per version.';
comment on column marts.dim_agency.agency_name is 'Agency name (Tên cơ quan).';
create table marts.fct_dossier (
    dossier_id text not null, agency_id text, procedure_id text, channel_code text,
    is_online boolean not null, is_received boolean not null, received_at timestamptz,
    status_code text, is_settled boolean not null
);
create table marts.fct_document (
    document_id text not null, sender_agency_id text, sent_at timestamptz not null,
    is_sent_in_province boolean not null, is_electronic boolean, is_signed boolean not null,
    is_revoked boolean not null, is_updated boolean not null, is_replaced boolean not null,
    recipient_count integer not null
);
create table marts.fct_document_status (
    document_id text not null, agency_id text, is_received_in_province boolean not null,
    status_code text not null, status_at timestamptz not null, handling_working_days integer,
    is_within_due_date boolean
);
create table marts.dq_source_month (
    source_name text not null, entity_name text not null, period_month date not null,
    batches bigint, records_received bigint, records_loaded bigint, records_rejected bigint,
    reject_share numeric, dossiers bigint, unknown_agency_dossiers bigint, unknown_procedure_dossiers bigint,
    unknown_share numeric, covered_days integer, days_in_month integer, coverage_share numeric,
    period_status text not null, quality_note text, reject_provisional_above numeric,
    reject_refuse_above numeric, unknown_provisional_above numeric, unknown_refuse_above numeric
);
create table reference.indicator_catalogue (
    indicator_id text, framework text, code text, name_vi text, name_en text, unit text, level text,
    direction text, full_score_at numeric, max_points numeric, confirmed boolean, note text
);
comment on column reference.indicator_catalogue.name_vi is 'Name (Vietnamese).';
create table reference.indicator_targets (
    indicator_id text, valid_from_year integer, valid_to_year integer, target numeric,
    confirmed boolean, source text, level text
);
create table marts.ind_framework_totals (
    framework text not null, period_kind text not null, period_start date not null, level text not null,
    scope text not null, view text not null, unit_id text not null, unit_name text,
    indicators_measured bigint not null, earned numeric not null, measured numeric not null,
    scale numeric not null, min_measured_points numeric not null, score numeric, is_rated boolean not null,
    band text, status text not null
);
create table marts.ind_766_2_1_late_dossiers (
    period_kind text not null, period_start date not null, status text not null,
    period_as_of timestamptz not null, agency_id text not null, agency_name text, dossier_id text not null,
    procedure_id text, procedure_name text, received_at timestamptz not null, promised_at timestamptz,
    due_date date, ended_at timestamptz, is_open boolean not null, late_basis text not null,
    time_limit numeric, time_limit_unit text, working_days_over numeric
);
create table marts.dim_admin_unit (
    unit_code text not null, valid_from date, valid_to date, is_current boolean, unit_level text,
    unit_name text, parent_code text, province_code text, valid_from_at timestamptz, valid_to_at timestamptz,
    current_unit_code text
);
create table marts.dim_camera (
    camera_id text not null, camera_name text, vendor text, latitude numeric, longitude numeric,
    commune_code text, commune_name text, agency_id text, zones text, desk_id text, is_desk_camera boolean,
    installed_on date, recorder_channel text, is_in_registry boolean
);
comment on table marts.dim_camera is 'The IOC''s cameras as the registry last listed them.';
create table marts.fct_camera_availability (
    camera_id text not null, agency_id text, commune_code text, availability_date date not null,
    minutes_in_service numeric, minutes_up numeric
);
create table marts.fct_camera_event__day (
    event_date date not null, camera_id text, vendor text, agency_id text, commune_code text,
    event_type text not null, incidents bigint, false_positives bigint, closed_by_timeout bigint,
    still_open bigint, median_duration_seconds double precision
);
create table marts.fct_field_report (
    report_id text not null, agency_id text, commune_code text, agency_unit_code text, category_id text,
    urgency text, created_at timestamptz not null, answered_at timestamptz, processed_at timestamptz,
    latitude numeric, longitude numeric, is_coordinates_swapped boolean, state_count bigint,
    answer_due_at timestamptz, resolve_due_at timestamptz, is_answered_in_time boolean,
    is_resolved_in_time boolean
);
create table marts.fct_population_call (
    request_id text not null, client text, agency_id text, client_member_code text, client_subsystem_code text,
    service_code text not null, is_known_service boolean, called_at timestamptz not null, call_date date not null,
    response_out_at timestamptz, latency_ms bigint, is_succeeded boolean not null, fault_code text,
    status_code integer, request_bytes bigint, response_bytes bigint
);
create table marts.fct_population_stats (
    commune_code text not null, admin_unit_valid_from date, month_start date not null, residents bigint not null,
    level1_accounts bigint, level2_accounts bigint, published_at timestamptz, is_revised boolean
);
create table reference.frameworks (
    framework text, name_vi text, name_en text, issuing_document text, display_order integer,
    min_measured_points numeric
);
create table reference.rating_bands (
    framework text, band text, name_vi text, name_en text, min_score numeric, scale numeric,
    confirmed boolean, note text
);
"""


def catalogue() -> list[dict[str, str]]:
    with CATALOGUE_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _num(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _row(
    row: dict[str, str], kind: str, month: str, unit: tuple[str, str, str, str, str],
    numerator: Decimal, denominator: Decimal,
) -> tuple:  # fmt: skip
    """One ind_values row of catalogue indicator `row` for unit (level, scope, view, id, name)."""
    duration = row["unit"] == "duration"
    full, max_points = _num(row["full_score_at"]), _num(row["max_points"])
    target = Decimal("0.80")
    value = numerator if duration else numerator / denominator
    met = value <= target if row["direction"] == "lower_is_better" else value >= target
    points = None
    if max_points is not None and not duration:
        points = min(Decimal(1), value / full) * max_points if full else (max_points if met else 0)
    return (
        row["indicator_id"], row["framework"], kind, month, *unit[:4], unit[4], numerator,
        None if duration else denominator, value, row["unit"], target, row["confirmed"] == "true", met, points,
        "complete" if (kind, month) in (("month", MONTHS[0]), ("month", JUNE)) else "provisional",
        f"{month} 00:00+07",
    )  # fmt: skip


def value_rows(restated: bool = False) -> list[tuple]:
    rows = []
    for n, row in enumerate(catalogue()):
        units = [("province", *PROVINCE)]
        if row["framework"] == "766" and row["level"] == "agency":
            units += [("agency", *agency) for agency in AGENCIES]
        for kind, month in (*(("month", m) for m in MONTHS), ("quarter", QUARTER)):
            for level, unit_id, unit_name in units:
                numerator, denominator = Decimal(60 + n), Decimal(80 + n)
                if (row["indicator_id"], unit_id, kind, month) == (
                    "766-2.1",
                    AGENCIES[0][0],
                    "month",
                    "2025-09-01",
                ):
                    numerator, denominator = (
                        (Decimal(70), Decimal(85)) if restated else (Decimal(67), Decimal(78))
                    )
                rows.append(
                    _row(
                        row,
                        kind,
                        month,
                        (level, "area", "historical", unit_id, unit_name),
                        numerator,
                        denominator,
                    )
                )
        for month, level, scope, view, unit_id, unit_name, numerator, denominator in UNIT_FIGURES:
            rows.append(
                _row(
                    row,
                    "month",
                    month,
                    (level, scope, view, unit_id, unit_name),
                    Decimal(numerator),
                    Decimal(denominator),
                )
            )
    return rows


def build_marts(conn: psycopg.Connection, restated: bool = False) -> None:
    if conn.execute("select to_regclass('marts.ind_values')").fetchone()[0] is None:
        conn.execute(DDL)
    for table in (
        "marts.ind_values",
        "marts.ind_framework_totals",
        "marts.dim_agency",
        "marts.fct_dossier",
        "marts.fct_document",
        "marts.fct_document_status",
        "marts.dq_source_month",
        "marts.ind_766_2_1_late_dossiers",
        "marts.dim_admin_unit",
        "marts.dim_camera",
        "marts.fct_camera_availability",
        "marts.fct_camera_event__day",
        "marts.fct_field_report",
        "marts.fct_population_call",
        "marts.fct_population_stats",
    ):
        conn.execute(f"truncate {table}")
    conn.execute(
        "truncate reference.indicator_catalogue, reference.indicator_targets, reference.rating_bands,"
        " reference.frameworks"
    )
    with conn.cursor() as cur:
        cur.executemany(
            "insert into marts.ind_values values (" + ", ".join(["%s"] * 19) + ")",
            value_rows(restated),
        )
        cur.executemany(
            "insert into reference.indicator_catalogue values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (*(r[k] for k in ("indicator_id", "framework", "code", "name_vi", "name_en", "unit", "level")),
                 r["direction"], _num(r["full_score_at"]), _num(r["max_points"]), r["confirmed"] == "true", r["note"])
                for r in catalogue()
            ],
        )  # fmt: skip
        with FRAMEWORKS_CSV.open(newline="", encoding="utf-8") as handle:
            cur.executemany(
                "insert into reference.frameworks values (%s, %s, %s, %s, %s, %s)",
                [tuple(v or None for v in r.values()) for r in csv.DictReader(handle)],
            )
        cur.executemany(  # hand-written totals: agency A rated (70 measured), B not (26 < 60)
            "insert into marts.ind_framework_totals values"
            " ('766', 'month', %s, 'agency', 'area', 'historical', %s, %s, %s, %s, %s, 100, 60, %s, %s, %s, %s)",
            [
                (
                    month,
                    *AGENCIES[0],
                    4,
                    Decimal("61.20"),
                    70,
                    Decimal("61.20") / 70 * 100,
                    True,
                    "good",
                    status,
                )
                for month, status in zip(MONTHS, ("complete", "provisional"), strict=True)
            ]
            + [
                (
                    MONTHS[1],
                    *AGENCIES[1],
                    2,
                    Decimal(20),
                    26,
                    Decimal(20) / 26 * 100,
                    False,
                    None,
                    "provisional",
                )
            ],
        )
        with RATING_BANDS_CSV.open(newline="", encoding="utf-8") as handle:
            cur.executemany(
                "insert into reference.rating_bands values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (r["framework"], r["band"], r["name_vi"], r["name_en"], Decimal(r["min_score"]),
                     Decimal(r["scale"]), r["confirmed"] == "true", r["note"])
                    for r in csv.DictReader(handle)
                ],
            )  # fmt: skip
        cur.executemany(
            "insert into reference.indicator_targets values (%s, 2020, null, 0.80, false, 'test', 'all')",
            [(r["indicator_id"],) for r in catalogue()],
        )
        cur.executemany(
            "insert into marts.dim_agency values (%s, %s, 'department', null, %s, %s, %s)",
            [
                (AGENCIES[0][0], "Sở Tư pháp (tên cũ)", "2025-01-01", "2025-07-01", False),
                (AGENCIES[0][0], AGENCIES[0][1], "2025-07-01", None, True),
                (AGENCIES[1][0], AGENCIES[1][1], "2025-01-01", None, True),
            ],
        )
        cur.executemany(
            "insert into marts.dq_source_month values"
            " (%s, %s, %s, 1, %s, %s, %s, %s, %s, 0, 0, 0, %s, %s, %s, %s, %s, 0.01, 0.05, 0.01, 0.05)",
            [
                ("onestop", "dossiers", "2025-08-01", 500, 500, 0, 0, 12, 31, 31, 1, "complete", None),
                ("onestop", "dossiers", "2025-09-01", 400, 396, 4, 0.01, 12, 20, 30, Decimal(20) / 30,
                 "provisional", "covered 20 of 30 days"),
            ],
        )  # fmt: skip
        cur.executemany(
            "insert into marts.fct_dossier values (%s, %s, '1.001234', %s, %s, true, %s, '9', true)",
            [
                (f"{AGENCIES[n % 2][0]}-250915-{n:04d}", AGENCIES[n % 2][0], "2" if n % 3 else "1", n % 3 != 0,
                 f"2025-09-{10 + n % 10:02d} 09:00+07")
                for n in range(12)
            ],
        )  # fmt: skip

        cur.executemany(  # DOCUMENTS: A sends two (one paper), B one it revokes, a ministry one
            "insert into marts.fct_document values (%s, %s, %s, %s, %s, %s, %s, false, false, %s)",
            [(document, sender, f"2025-09-{day} 09:00+07", sender.endswith("H57"), electronic, signed, revoked, to)
             for document, sender, day, electronic, signed, revoked, to in DOCUMENTS],
        )  # fmt: skip
        cur.executemany(  # A received D3 on 3 Sep and finished it on 5 Sep, after its due date
            "insert into marts.fct_document_status values (%s, %s, true, %s, %s, %s, %s)",
            [
                ("D3", AGENCIES[0][0], "01", "2025-09-03 08:30+07", None, None),
                ("D3", AGENCIES[0][0], "06", "2025-09-05 16:00+07", 2, False),
            ],
        )
        cur.executemany(  # LATE_DOSSIERS, in September and in the third quarter
            "insert into marts.ind_766_2_1_late_dossiers values (%s, %s, 'provisional', '2025-09-21 00:00+07',"
            " %s, %s, %s, %s, %s, '2025-09-02 09:00+07', '2025-09-09 17:00+07', %s, %s, %s, %s, 5,"
            " 'working_days', %s)",
            [(kind, start, *row) for kind, start in (("month", MONTHS[1]), ("quarter", QUARTER)) for row in LATE_DOSSIERS],
        )  # fmt: skip
        _build_ioc(cur)
        _build_population(cur)


def _build_ioc(cur: psycopg.Cursor) -> None:
    """The operations centre's marts: COMMUNES, CAMERAS, CAMERA_DAYS, CAMERA_EVENTS, FIELD_REPORTS."""
    cur.executemany(
        "insert into marts.dim_admin_unit values (%s, %s, %s, %s, 'commune', %s, null, %s, %s, %s, %s)",
        [
            (code, start, end, end is None, name, PROVINCE[0], f"{start} 00:00+07",
             end and f"{end} 00:00+07", code)
            for code, name, start, end in ADMIN_UNITS
        ],
    )  # fmt: skip
    cur.executemany(
        "insert into marts.dim_camera values (%s, %s, %s, 16.46, 107.59, %s, %s, %s, null, null, false, %s,"
        " null, true)",
        [(camera, name, vendor, commune, commune_name, agency, installed)
         for camera, name, vendor, agency, commune, commune_name, installed in CAMERAS],
    )  # fmt: skip
    placed = {camera[0]: (camera[3], camera[4], camera[2]) for camera in CAMERAS}
    cur.executemany(
        "insert into marts.fct_camera_availability values (%s, %s, %s, %s, 1440, %s)",
        [(camera, *placed[camera][:2], day, up) for camera, day, up in CAMERA_DAYS],
    )
    cur.executemany(
        "insert into marts.fct_camera_event__day values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 60)",
        [
            (day, camera, placed[camera][2], *placed[camera][:2], *counts)
            for day, camera, *counts in CAMERA_EVENTS
        ],
    )
    cur.executemany(
        "insert into marts.fct_field_report values (%s, %s, %s, 'H57', 'cat-1', %s, %s, %s, %s, 16.46, 107.59,"
        " false, 1, %s, %s, %s, %s)",
        FIELD_REPORTS,
    )


def _build_population(cur: psycopg.Cursor) -> None:
    """Project 06's marts: POPULATION_CALLS and POPULATION_STATS, with what the marts derive from them."""
    services = {row["service_code"] for row in read_seed("population_services")}
    calls = []
    for request_id, member, subsystem, service, at, latency, succeeded, fault in POPULATION_CALLS:
        called_at = datetime.fromisoformat(f"{at}:00+07:00")
        calls.append(
            (request_id, f"{member}/{subsystem}", None if member == UNKNOWN_MEMBER else member, member, subsystem,
             service, service in services, called_at, called_at.date(),
             called_at + timedelta(milliseconds=latency), latency, succeeded, fault, 200 if succeeded else 500,
             640, 2048 if succeeded else 320)
        )  # fmt: skip
    cur.executemany(
        "insert into marts.fct_population_call values (" + ", ".join(["%s"] * 16) + ")",
        calls,
    )

    def valid_from(code: str, month: str) -> str:  # the version of the commune in force that month
        return next(
            start
            for unit, _, start, end in ADMIN_UNITS
            if unit == code and start <= month and (end is None or month < end)
        )

    def published(month: str, revised: bool) -> str:  # early the next month; a revision a month later
        start = date.fromisoformat(month)
        months = start.month + (2 if revised else 1)
        return f"{start.year + (months - 1) // 12}-{(months - 1) % 12 + 1:02d}-05 09:00+07"

    cur.executemany(
        "insert into marts.fct_population_stats values (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (
                code,
                valid_from(code, month),
                month,
                residents,
                level1,
                level2,
                published(month, revised),
                revised,
            )
            for code, month, residents, level1, level2, revised in POPULATION_STATS
        ],
    )


def publish_build(conn: psycopg.Connection) -> int:
    """Stage the marts, record a passing gate, publish; the publication id."""
    return publish_passed(conn, evaluated=12, failed_warning=1)


def build_bi(conn: psycopg.Connection) -> None:
    """Two publications: the second restates one value."""
    migrate(conn)
    build_marts(conn)
    publish_build(conn)
    build_marts(conn, restated=True)
    publish_build(conn)
