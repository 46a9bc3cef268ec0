-- ind_values__unit_month is a complete grid over the months it holds: every agency (catalogue, or
-- 'unknown' for measures of an agency the catalogue lacks) has a row for every indicator and month
-- present — except a catalogue agency closed before the month began that has no figures in it —
-- and the province rows of an indicator-month add up to exactly its agency rows (a province = the
-- sum of its agencies).
with catalogue_agencies as (
    select
        agency_id,
        case when bool_and(valid_to is not null) then max(valid_to) end as closed_at
    from {{ ref('dim_agency') }}
    group by agency_id
),

-- an agency id the catalogue does not know has its figures under the member 'unknown'
measured_agencies as (
    select distinct
        measured.indicator_id,
        measured.period_month,
        case
            when exists (select 1 from catalogue_agencies where catalogue_agencies.agency_id = measured.agency_id)
                then measured.agency_id
            else 'unknown'
        end as agency_id
    from {{ ref('int_indicator_measures__agency_month') }} as measured
),

indicator_months as (
    select distinct
        indicator_id,
        period_month
    from {{ ref('ind_values__unit_month') }}
),

agency_rows as (
    select
        indicator_id,
        period_month,
        unit_id
    from {{ ref('ind_values__unit_month') }}
    where unit_level = 'agency'
),

expected_agency_rows as (
    select
        indicator_months.indicator_id,
        indicator_months.period_month,
        catalogue_agencies.agency_id
    from indicator_months
    cross join catalogue_agencies
    where
        catalogue_agencies.closed_at is null
        or catalogue_agencies.closed_at > {{ local_midnight('indicator_months.period_month') }}
    union
    select
        measured_agencies.indicator_id,
        measured_agencies.period_month,
        measured_agencies.agency_id
    from measured_agencies
    inner join indicator_months
        on
            measured_agencies.indicator_id = indicator_months.indicator_id
            and measured_agencies.period_month = indicator_months.period_month
),

missing_agency_rows as (
    select
        expected_agency_rows.indicator_id,
        expected_agency_rows.period_month,
        expected_agency_rows.agency_id as unit_id,
        'agency row missing' as problem
    from expected_agency_rows
    left join agency_rows
        on
            expected_agency_rows.indicator_id = agency_rows.indicator_id
            and expected_agency_rows.period_month = agency_rows.period_month
            and expected_agency_rows.agency_id = agency_rows.unit_id
    where agency_rows.unit_id is null
),

level_totals as (
    select
        indicator_id,
        period_month,
        sum(numerator) filter (where unit_level = 'agency') as agency_numerator,
        sum(numerator) filter (where unit_level = 'province') as province_numerator,
        sum(coalesce(denominator, 0)) filter (where unit_level = 'agency') as agency_denominator,
        sum(coalesce(denominator, 0)) filter (where unit_level = 'province') as province_denominator,
        count(*) filter (where unit_level = 'province') as province_rows
    from {{ ref('ind_values__unit_month') }}
    group by indicator_id, period_month
),

unbalanced_provinces as (
    select
        indicator_id,
        period_month,
        null as unit_id,
        'province rows do not add up to the agency rows' as problem
    from level_totals
    where
        province_rows = 0
        or agency_numerator is distinct from province_numerator
        or agency_denominator is distinct from province_denominator
)

select
    indicator_id,
    period_month,
    unit_id,
    problem
from missing_agency_rows
union all
select
    indicator_id,
    period_month,
    unit_id,
    problem
from unbalanced_provinces
