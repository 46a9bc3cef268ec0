"""Small marts for tests of the real gate: two agencies and their province, four computed
indicators (a ratio with points, a ratio without, a duration, and an aggregate duration: a median
given at province level only, with no numerator or denominator) and one the catalogue declares
without computing; September and its quarter. Shared by the gate's integration tests and the Data
Docs browser test."""

MARTS_DDL = """
create schema marts;
create schema reference;
create table reference.indicator_catalogue (
    indicator_id text, framework text, name_vi text, name_en text, unit text, direction text,
    full_score_at numeric, max_points numeric, sources text, measure text,
    code text default 'x', confirmed boolean default true, warn_move numeric, fail_move numeric,
    aggregate boolean default false, level text
);
insert into reference.indicator_catalogue values
    ('766-2.1', '766', 'Đúng hạn', 'On time', 'ratio', 'higher_is_better', 1.00, 20, 'onestop', 'measure__766_2_1',
     'x', true, 10, 20),
    ('766-3.3', '766', 'Trực tuyến', 'Online', 'ratio', 'higher_is_better', 0.50, null, 'onestop', 'measure__766_3_3',
     'x', true, 10, 20),
    ('766-2.2', '766', 'Thời gian', 'Time', 'duration', 'lower_is_better', null, null, 'onestop', 'measure__766_2_2',
     'x', true, 0.5, 1),
    ('766-9.9', '766', 'Chưa tính', 'Not computed', 'ratio', 'higher_is_better', null, null, null, null,
     'x', true, null, null);
insert into reference.indicator_catalogue values
    ('766-2.9', '766', 'Trung vị', 'Median', 'duration', 'lower_is_better', null, null, 'onestop', 'measure__766_2_9',
     'x', true, 0.5, 1, true);
create table reference.indicator_targets (
    indicator_id text, valid_from_year int, target numeric, confirmed boolean, source text, level text
);
insert into reference.indicator_targets values ('766-2.1', 2025, 0.95, false, 'test', 'all');
create table marts.dim_agency (
    agency_id text, valid_from timestamptz, agency_name text, is_current boolean default true,
    agency_level text default 'province', valid_to timestamptz, active_until timestamptz
);
comment on table marts.dim_agency is 'Agencies';
comment on column marts.dim_agency.agency_name is 'Tên cơ quan';
insert into marts.dim_agency values
    ('000.00.01.H57', '2025-09-01', 'Sở Tư pháp'), ('000.00.02.H57', '2025-09-01', 'Sở Nội vụ');
-- the dossiers received in September (the scorecard counts them here): ten of Sở Tư pháp
create table marts.fct_dossier (
    dossier_id text, agency_id text, received_at timestamptz, is_received boolean, is_online boolean,
    status_code text, is_settled boolean, supplement_count integer, is_procedure_in_catalogue boolean,
    is_agency_in_catalogue boolean, is_synced_to_portal boolean, processing_ended_at_source text
);
insert into marts.fct_dossier
select 'D' || n, '000.00.01.H57', '2025-09-03 08:00+07', true, n <= 6, '4', false, 0, true, true, true
from generate_series(1, 10) as n;
create table marts.ind_values (
    indicator_id text, framework text, period_kind text, period_start date, level text, scope text, view text,
    unit_id text, unit_name text, numerator numeric, denominator numeric, value numeric, value_unit text,
    target numeric, target_confirmed boolean, met boolean, points numeric, status text, period_as_of timestamptz,
    origin text not null default 'computed'
);
insert into marts.ind_values values
    ('766-2.1', '766', 'month', '2025-09-01', 'agency', 'area', 'historical', '000.00.01.H57', 'Sở Tư pháp', 9, 10, 0.9,
     'ratio', 0.95, false, false, 18, 'complete', '2025-10-01 00:00+07'),
    ('766-2.1', '766', 'month', '2025-09-01', 'agency', 'area', 'historical', '000.00.02.H57', 'Sở Nội vụ', 4, 4, 1.0,
     'ratio', 0.95, false, true, 20, 'complete', '2025-10-01 00:00+07'),
    ('766-2.1', '766', 'month', '2025-09-01', 'province', 'area', 'historical', '000.00.00.H57', 'UBND', 13, 14, 0.9286,
     'ratio', 0.95, false, false, 18.57, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', 'month', '2025-09-01', 'agency', 'area', 'historical', '000.00.01.H57', 'Sở Tư pháp', 6, 10, 0.6,
     'ratio', 0.50, true, true, null, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', 'month', '2025-09-01', 'agency', 'area', 'historical', '000.00.02.H57', 'Sở Nội vụ', 0, 0, null,
     'ratio', 0.50, true, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', 'month', '2025-09-01', 'province', 'area', 'historical', '000.00.00.H57', 'UBND', 6, 10, 0.6,
     'ratio', 0.50, true, true, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.2', '766', 'month', '2025-09-01', 'agency', 'area', 'historical', '000.00.01.H57', 'Sở Tư pháp', 30, 10, 3.0,
     'duration', 5, false, true, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.2', '766', 'month', '2025-09-01', 'agency', 'area', 'historical', '000.00.02.H57', 'Sở Nội vụ', 0, 0, null,
     'duration', 5, false, null, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.2', '766', 'month', '2025-09-01', 'province', 'area', 'historical', '000.00.00.H57', 'UBND', 30, 10, 3.0,
     'duration', 5, false, true, null, 'complete', '2025-10-01 00:00+07'),
    ('766-2.9', '766', 'month', '2025-09-01', 'province', 'area', 'historical', '000.00.00.H57', 'UBND', null, null, 2.5,
     'duration', null, null, null, null, 'complete', '2025-10-01 00:00+07'),
    -- the quarter is a period of its own (not the sum of its months)
    ('766-3.3', '766', 'quarter', '2025-07-01', 'agency', 'area', 'historical', '000.00.01.H57', 'Sở Tư pháp', 7, 12,
     0.5833, 'ratio', 0.50, true, true, null, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', 'quarter', '2025-07-01', 'agency', 'area', 'historical', '000.00.02.H57', 'Sở Nội vụ', 1, 2,
     0.5, 'ratio', 0.50, true, true, null, 'complete', '2025-10-01 00:00+07'),
    ('766-3.3', '766', 'quarter', '2025-07-01', 'province', 'area', 'historical', '000.00.00.H57', 'UBND', 8, 14,
     0.5714, 'ratio', 0.50, true, true, null, 'complete', '2025-10-01 00:00+07');
"""
