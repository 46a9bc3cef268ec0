-- The total of a scored framework (one whose frameworks row has min_measured_points: Decision
-- 766) per period, level, scope, view and unit: points earned on the indicators that have a
-- value, out of the maximum points of those indicators ("earned / measured"), the score
-- earned ÷ measured × the bands' scale, and its rating band only when the measured points reach
-- min_measured_points (never a band read on one indicator). The one place a total or a band is
-- computed: the index report, the scorecard and Metabase read this table.
with scored_frameworks as (
    select
        frameworks.framework,
        frameworks.min_measured_points,
        max(bands.scale) as scale
    from {{ ref('frameworks') }} as frameworks
    inner join {{ ref('rating_bands') }} as bands
        on frameworks.framework = bands.framework
    where frameworks.min_measured_points is not null
    group by frameworks.framework, frameworks.min_measured_points
),

scored_values as (
    select
        ind.framework,
        ind.period_kind,
        ind.period_start,
        ind.level,
        ind.scope,
        ind.view,
        ind.unit_id,
        ind.unit_name,
        ind.points,
        ind.status,
        catalogue.max_points
    from {{ ref('ind_values') }} as ind
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on ind.indicator_id = catalogue.indicator_id
    where
        catalogue.max_points > 0
        -- the unknown member is no agency: it gets no points, so no total either
        and not (ind.level = 'agency' and ind.unit_id = 'unknown')
),

unit_totals as (
    select
        framework,
        period_kind,
        period_start,
        level,
        scope,
        view,  -- noqa: RF04
        unit_id,
        max(unit_name) as unit_name,
        count(points) as indicators_measured,
        coalesce(sum(points), 0) as earned,
        coalesce(sum(max_points) filter (where points is not null), 0) as measured,
        -- a total is provisional when one of its values is
        case when bool_and(status = 'complete') then 'complete' else 'provisional' end as status
    from scored_values
    group by framework, period_kind, period_start, level, scope, view, unit_id
),

scored_totals as (
    select
        unit_totals.*,
        scored_frameworks.scale,
        scored_frameworks.min_measured_points,
        unit_totals.earned / nullif(unit_totals.measured, 0) * scored_frameworks.scale as score,
        unit_totals.measured >= scored_frameworks.min_measured_points as is_rated
    from unit_totals
    inner join scored_frameworks
        on unit_totals.framework = scored_frameworks.framework
)

select
    scored_totals.framework,
    scored_totals.period_kind,
    scored_totals.period_start,
    scored_totals.level,
    scored_totals.scope,
    scored_totals.view,  -- noqa: RF04
    scored_totals.unit_id,
    scored_totals.unit_name,
    scored_totals.indicators_measured,
    scored_totals.earned,
    scored_totals.measured,
    scored_totals.scale,
    scored_totals.min_measured_points,
    scored_totals.score,
    scored_totals.is_rated,
    -- the band with the highest min_score not above the unrounded score (89.995 is below 90)
    (
        select bands.band
        from {{ ref('rating_bands') }} as bands
        where
            bands.framework = scored_totals.framework
            and scored_totals.is_rated
            and bands.min_score <= scored_totals.score
        order by bands.min_score desc
        limit 1
    ) as band,
    scored_totals.status
from scored_totals
