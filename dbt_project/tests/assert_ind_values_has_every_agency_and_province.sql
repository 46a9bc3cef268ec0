-- ind_values__unit_month is a complete grid over the months it holds: every agency (catalogue or
-- measures) has a row for every indicator and month present, and the province rows of an
-- indicator-month add up to exactly its agency rows (a province = the sum of its agencies).
with agencies as (
    select agency_id from {{ ref('dim_agency') }}
    union
    select agency_id from {{ ref('int_indicator_measures__agency_month') }}
    where agency_id is not null
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

missing_agency_rows as (
    select
        indicator_months.indicator_id,
        indicator_months.period_month,
        agencies.agency_id as unit_id,
        'agency row missing' as problem
    from indicator_months
    cross join agencies
    left join agency_rows
        on
            indicator_months.indicator_id = agency_rows.indicator_id
            and indicator_months.period_month = agency_rows.period_month
            and agencies.agency_id = agency_rows.unit_id
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
