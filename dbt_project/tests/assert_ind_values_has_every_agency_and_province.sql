-- For an additive indicator, ind_values is a complete grid over the periods it holds: every agency
-- (catalogue, or 'unknown' for measures of an agency the catalogue lacks) has a row for every
-- indicator and period present — except a catalogue agency closed (dim_agency.active_until) before the period began that
-- has no figures in it — and the province rows of an indicator-period add up to exactly its agency
-- rows (a province = the sum of its agencies). Aggregate indicators give their own province rows.
with catalogue_agencies as (
    select
        agency_id,
        case when bool_and(active_until is not null) then max(active_until) end as closed_at
    from {{ ref('dim_agency') }}
    group by agency_id
),

-- an agency id the catalogue does not know has its figures under the member 'unknown'
additive_indicators as (
    select indicator_id
    from {{ ref('indicator_catalogue') }}
    where measure is not null and not aggregate
),

additive_values as (
    select
        indicator_values.indicator_id,
        indicator_values.period_kind,
        indicator_values.period_start,
        indicator_values.level,
        indicator_values.unit_id,
        indicator_values.numerator,
        indicator_values.denominator
    from {{ ref('ind_values') }} as indicator_values
    inner join additive_indicators
        on indicator_values.indicator_id = additive_indicators.indicator_id
),

measured_agencies as (
    select distinct
        measured.indicator_id,
        measured.period_kind,
        measured.period_start,
        case
            when exists (select 1 from catalogue_agencies where catalogue_agencies.agency_id = measured.unit_id)
                then measured.unit_id
            else 'unknown'
        end as agency_id
    from {{ ref('int_indicator_measures') }} as measured
    inner join additive_indicators
        on measured.indicator_id = additive_indicators.indicator_id
),

indicator_periods as (
    select distinct
        indicator_id,
        period_kind,
        period_start
    from additive_values
),

agency_rows as (
    select
        indicator_id,
        period_kind,
        period_start,
        unit_id
    from additive_values
    where level = 'agency'
),

expected_agency_rows as (
    select
        indicator_periods.indicator_id,
        indicator_periods.period_kind,
        indicator_periods.period_start,
        catalogue_agencies.agency_id
    from indicator_periods
    cross join catalogue_agencies
    where
        catalogue_agencies.closed_at is null
        or catalogue_agencies.closed_at > {{ local_midnight('indicator_periods.period_start') }}
    union
    select
        measured_agencies.indicator_id,
        measured_agencies.period_kind,
        measured_agencies.period_start,
        measured_agencies.agency_id
    from measured_agencies
    inner join indicator_periods
        on
            measured_agencies.indicator_id = indicator_periods.indicator_id
            and measured_agencies.period_kind = indicator_periods.period_kind
            and measured_agencies.period_start = indicator_periods.period_start
),

missing_agency_rows as (
    select
        expected_agency_rows.indicator_id,
        expected_agency_rows.period_kind,
        expected_agency_rows.period_start,
        expected_agency_rows.agency_id as unit_id,
        'agency row missing' as problem
    from expected_agency_rows
    left join agency_rows
        on
            expected_agency_rows.indicator_id = agency_rows.indicator_id
            and expected_agency_rows.period_kind = agency_rows.period_kind
            and expected_agency_rows.period_start = agency_rows.period_start
            and expected_agency_rows.agency_id = agency_rows.unit_id
    where agency_rows.unit_id is null
),

level_totals as (
    select
        indicator_id,
        period_kind,
        period_start,
        sum(numerator) filter (where level = 'agency') as agency_numerator,
        sum(numerator) filter (where level = 'province') as province_numerator,
        sum(coalesce(denominator, 0)) filter (where level = 'agency') as agency_denominator,
        sum(coalesce(denominator, 0)) filter (where level = 'province') as province_denominator,
        count(*) filter (where level = 'province') as province_rows
    from additive_values
    group by indicator_id, period_kind, period_start
),

unbalanced_provinces as (
    select
        indicator_id,
        period_kind,
        period_start,
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
    period_kind,
    period_start,
    unit_id,
    problem
from missing_agency_rows
union all
select
    indicator_id,
    period_kind,
    period_start,
    unit_id,
    problem
from unbalanced_provinces
