-- Working-day counts need the public holidays of every year a dossier or a reporting period
-- touches. Fails (blocking the marts) when such a year is missing from calendar_coverage:
-- add that year's holidays to public_holidays.csv and the year to calendar_coverage.csv.
with needed_years as (
    select
        extract(year from {{ local_date('received_at') }})::integer as calendar_year,
        'dossier received' as needed_for
    from {{ ref('stg_onestop__dossiers') }}
    where received_at is not null
    union
    select
        extract(year from {{ local_date('processing_ended_at') }})::integer as calendar_year,
        'dossier processing ended' as needed_for
    from {{ ref('stg_onestop__dossiers') }}
    where processing_ended_at is not null
    union
    select
        extract(year from period_start)::integer as calendar_year,
        'reporting period' as needed_for
    from {{ ref('int_reporting_periods') }}
)

select
    needed_years.calendar_year,
    needed_years.needed_for
from needed_years
left join {{ ref('calendar_coverage') }} as coverage
    on needed_years.calendar_year = coverage.calendar_year and coverage.covered
where coverage.calendar_year is null
