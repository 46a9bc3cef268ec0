-- ind_values has every row int_indicator_unit_rows marks expected (an additive indicator's agency,
-- province, commune and district rows in each period it holds, 0 / 0 without figures), and an
-- additive indicator's province area rows add up to exactly its agency rows in both views (a
-- province = the sum of its agencies; nothing lost or counted twice on the way to today's units).
-- Entered values are published as entered (no sum derived): not checked here.
with additive_values as (
    select
        indicator_values.indicator_id,
        indicator_values.period_kind,
        indicator_values.period_start,
        indicator_values.level,
        indicator_values.scope,
        indicator_values.view,
        indicator_values.unit_id,
        indicator_values.numerator,
        indicator_values.denominator
    from {{ ref('ind_values') }} as indicator_values
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on indicator_values.indicator_id = catalogue.indicator_id
    where not catalogue.aggregate and indicator_values.origin = 'computed'
),

missing_rows as (
    select
        expected.indicator_id,
        expected.period_kind,
        expected.period_start,
        expected.level || ' ' || expected.scope || ' ' || expected.view || ' ' || expected.unit_id as unit_id,
        'expected row missing' as problem
    from {{ ref('int_indicator_unit_rows') }} as expected
    left join additive_values
        on
            expected.indicator_id = additive_values.indicator_id
            and expected.period_kind = additive_values.period_kind
            and expected.period_start = additive_values.period_start
            and expected.level = additive_values.level
            and expected.scope = additive_values.scope
            and expected.view = additive_values.view
            and expected.unit_id = additive_values.unit_id
    where expected.is_expected and additive_values.indicator_id is null
),

agency_totals as (
    select
        indicator_id,
        period_kind,
        period_start,
        sum(numerator) as numerator,
        sum(coalesce(denominator, 0)) as denominator
    from additive_values
    where level = 'agency'
    group by indicator_id, period_kind, period_start
),

province_totals as (
    select
        indicator_id,
        period_kind,
        period_start,
        view,  -- noqa: RF04
        sum(numerator) as numerator,
        sum(coalesce(denominator, 0)) as denominator
    from additive_values
    where level = 'province' and scope = 'area'
    group by indicator_id, period_kind, period_start, view
),

unbalanced_provinces as (
    select
        agency_totals.indicator_id,
        agency_totals.period_kind,
        agency_totals.period_start,
        views.view as unit_id,
        'province rows do not add up to the agency rows' as problem
    from agency_totals
    cross join (values ('historical'), ('current')) as views (view)  -- noqa: RF04
    left join province_totals
        on
            agency_totals.indicator_id = province_totals.indicator_id
            and agency_totals.period_kind = province_totals.period_kind
            and agency_totals.period_start = province_totals.period_start
            and views.view = province_totals.view
    where
        province_totals.indicator_id is null
        or agency_totals.numerator is distinct from province_totals.numerator
        or agency_totals.denominator is distinct from province_totals.denominator
)

select
    indicator_id,
    period_kind,
    period_start,
    unit_id,
    problem
from missing_rows
union all
select
    indicator_id,
    period_kind,
    period_start,
    unit_id,
    problem
from unbalanced_provinces
