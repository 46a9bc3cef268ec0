-- The month rows of ind_values in the shape the index report, the scorecard, Metabase, the gate's
-- indicator contract and the restatements read today (unit_level, period_month, measure_unit,
-- period_status, the catalogue's direction and scoring figures). Kept until they read ind_values.
select
    indicator_values.indicator_id,
    indicator_values.framework,
    indicator_values.period_start as period_month,
    indicator_values.level as unit_level,
    indicator_values.unit_id,
    indicator_values.unit_name,
    indicator_values.numerator,
    indicator_values.denominator,
    indicator_values.value,
    indicator_values.value_unit as measure_unit,
    catalogue.direction,
    indicator_values.target,
    indicator_values.target_confirmed,
    indicator_values.met,
    catalogue.full_score_at,
    catalogue.max_points,
    indicator_values.points,
    indicator_values.status as period_status,
    indicator_values.period_as_of
from {{ ref('ind_values') }} as indicator_values
inner join {{ ref('indicator_catalogue') }} as catalogue
    on indicator_values.indicator_id = catalogue.indicator_id
where
    indicator_values.period_kind = 'month'
    and indicator_values.scope = 'area'
    and indicator_values.view = 'historical'
