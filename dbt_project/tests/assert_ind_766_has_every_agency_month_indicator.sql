-- The indicator mart is a complete grid: every agency (catalogue or dossiers) × reporting month
-- × computed indicator, so a unit with no dossiers shows N/A rather than disappearing.
with expected as (
    select count(*) * 3 as expected_rows
    from {{ ref('int_reporting_periods') }}
    cross join (
        select agency_id from {{ ref('dim_agency') }} where is_current
        union
        select agency_id from {{ ref('fct_dossier') }} where agency_id is not null
    ) as agencies
),

actual as (
    select count(*) as actual_rows
    from {{ ref('ind_766__agency_month') }}
)

select
    expected.expected_rows,
    actual.actual_rows
from expected
cross join actual
where expected.expected_rows <> actual.actual_rows
