-- Every computed indicator per period (month, quarter, year), level, scope, view and unit, in long
-- form: the rows of int_indicator_unit_rows (in the periods every needed source covers) with
-- their figures, what the catalogue says about each indicator (unit, direction, Decision 766
-- scoring), the target in force and the coverage of the period.
-- Additive indicators: the sums of int_indicator_unit_figures (0 / 0 when a unit had nothing).
-- Aggregate indicators: the rows and values their measure gives.
-- Targets: a target with a level (Decision 942's province / district / commune) applies to the
-- tier rows of that level, and the province's to its area rows too; one for 'all' to every row.
-- Entered indicators (catalogue reason `entered`): the value in force of the department's
-- submissions (int_entered_indicator_values), as entered — an agency's or the province's row,
-- area and historical, a complete period — with origin 'entered'; no sum or other view is derived.
with catalogue as (
    select
        indicator_id,
        framework,
        unit as value_unit,
        direction,
        full_score_at,
        max_points,
        aggregate
    from {{ ref('indicator_catalogue') }}
    where measure is not null or not_computed_because = 'entered'
),

-- each agency's latest name: an entered agency row's, and a province's (its People's Committee's)
agency_names as (
    select distinct on (agency_id)
        agency_id,
        agency_name
    from {{ ref('dim_agency') }}
    order by agency_id asc, valid_from desc
),

entered_values as (
    select
        entered.indicator_id,
        entered.period_kind,
        entered.period_start,
        entered.level,
        'area' as scope,
        'historical' as view,  -- noqa: RF04
        entered.unit_id,
        coalesce(agency_names.agency_name, committees.agency_name, entered.unit_id) as unit_name,
        false as is_unknown_member,
        entered.numerator,
        entered.denominator,
        null::numeric as given_value,
        true as is_complete,
        (
            entered.period_start
            + case entered.period_kind
                when 'month' then interval '1 month'
                when 'quarter' then interval '3 months'
                else interval '1 year'
            end
        )::timestamp at time zone '{{ var("local_timezone") }}' as as_of,
        'entered' as origin
    from {{ ref('int_entered_indicator_values') }} as entered
    left join agency_names
        on entered.level = 'agency' and entered.unit_id = agency_names.agency_id
    left join agency_names as committees
        on entered.level = 'province' and committees.agency_id = '000.00.00.' || entered.unit_id
),

aggregate_measures as (
    select
        indicator_id,
        period_kind,
        period_start,
        level,
        scope,
        view,  -- noqa: RF04
        unit_id,
        numerator,
        denominator,
        value  -- noqa: RF04
    from {{ ref('int_indicator_measures') }}
    where is_aggregate
),

unit_values as (
    select
        unit_rows.indicator_id,
        unit_rows.period_kind,
        unit_rows.period_start,
        unit_rows.level,
        unit_rows.scope,
        unit_rows.view,
        unit_rows.unit_id,
        unit_rows.unit_name,
        unit_rows.is_unknown_member,
        case
            when catalogue.aggregate then aggregate_measures.numerator
            else coalesce(figures.numerator, 0)
        end as numerator,
        case
            when catalogue.aggregate then aggregate_measures.denominator
            else coalesce(figures.denominator, 0)
        end as denominator,
        aggregate_measures.value as given_value,
        periods.is_complete,
        periods.as_of,
        'computed' as origin
    from {{ ref('int_indicator_unit_rows') }} as unit_rows
    inner join catalogue
        on unit_rows.indicator_id = catalogue.indicator_id
    inner join {{ ref('int_indicator_periods') }} as periods
        on
            unit_rows.indicator_id = periods.indicator_id
            and unit_rows.period_kind = periods.period_kind
            and unit_rows.period_start = periods.period_start
    left join {{ ref('int_indicator_unit_figures') }} as figures
        on
            not catalogue.aggregate
            and unit_rows.indicator_id = figures.indicator_id
            and unit_rows.period_kind = figures.period_kind
            and unit_rows.period_start = figures.period_start
            and unit_rows.level = figures.level
            and unit_rows.scope = figures.scope
            and unit_rows.view = figures.view
            and unit_rows.unit_id = figures.unit_id
    left join aggregate_measures
        on
            catalogue.aggregate
            and unit_rows.indicator_id = aggregate_measures.indicator_id
            and unit_rows.period_kind = aggregate_measures.period_kind
            and unit_rows.period_start = aggregate_measures.period_start
            and unit_rows.level = aggregate_measures.level
            and unit_rows.scope = aggregate_measures.scope
            and unit_rows.view = aggregate_measures.view
            and unit_rows.unit_id = aggregate_measures.unit_id
),

all_values as (
    select * from unit_values
    union all
    select * from entered_values
),

valued as (
    select
        unit_values.indicator_id,
        catalogue.framework,
        unit_values.period_kind,
        unit_values.period_start,
        unit_values.level,
        unit_values.scope,
        unit_values.view,
        unit_values.unit_id,
        unit_values.unit_name,
        unit_values.numerator,
        case
            when catalogue.aggregate or catalogue.value_unit in ('ratio', 'duration', 'seconds', 'limit_share')
                then unit_values.denominator
        end as denominator,
        -- `value` is the published column's name (CONTRACTS.md item 6), keyword or not.
        case
            when catalogue.aggregate then unit_values.given_value
            when catalogue.value_unit in ('ratio', 'duration', 'seconds', 'limit_share')
                then unit_values.numerator / nullif(unit_values.denominator, 0)
            else unit_values.numerator
        end as value,  -- noqa: RF04
        catalogue.value_unit,
        catalogue.direction,
        -- the unknown member is no agency: no target, verdict or points are given to it
        case when not unit_values.is_unknown_member then targets.target end as target,  -- noqa: RF04
        case when not unit_values.is_unknown_member then targets.confirmed end as target_confirmed,
        unit_values.is_unknown_member,
        catalogue.full_score_at,
        catalogue.max_points,
        unit_values.is_complete,
        unit_values.as_of,
        unit_values.origin
    from all_values as unit_values
    inner join catalogue
        on unit_values.indicator_id = catalogue.indicator_id
    left join {{ ref('indicator_targets') }} as targets
        on
            unit_values.indicator_id = targets.indicator_id
            and extract(year from unit_values.period_start) >= targets.valid_from_year
            and extract(year from unit_values.period_start) <= coalesce(targets.valid_to_year, 9999)
            and (
                targets.level = 'all'
                or (unit_values.scope = 'tier' and unit_values.level = targets.level)
                or (unit_values.level = 'province' and targets.level = 'province')
            )
)

select
    indicator_id,
    framework,
    period_kind,
    period_start,
    level,
    scope,
    view,  -- noqa: RF04
    unit_id,
    unit_name,
    numerator,
    denominator,
    value,
    value_unit,
    target,
    target_confirmed,
    case
        when direction = 'lower_is_better' then value <= target
        else value >= target
    end as met,
    -- least() skips NULLs: without the value and threshold tests a unit with no dossiers, or an
    -- indicator without a full-score threshold, would score full points; 0 points = not scored
    case
        when
            direction = 'higher_is_better' and value is not null and not is_unknown_member
            and full_score_at > 0 and max_points > 0
            then least(1, value / full_score_at) * max_points
    end as points,
    case when is_complete then 'complete' else 'provisional' end as status,
    as_of as period_as_of,
    origin
from valued
