-- No indicator value for a period that a source the indicator needs does not cover (not one day):
-- such a period must be absent from ind_values, never shown with carried-over figures.
with needed_sources as (
    select
        catalogue.indicator_id,
        needed.source_name
    from {{ ref('indicator_catalogue') }} as catalogue
    cross join lateral regexp_split_to_table(btrim(catalogue.sources), '\s+') as needed (source_name)
    where catalogue.measure is not null
),

indicator_periods as (
    select distinct
        indicator_id,
        period_kind,
        period_start
    from {{ ref('ind_values') }}
)

select
    indicator_periods.indicator_id,
    indicator_periods.period_kind,
    indicator_periods.period_start,
    needed_sources.source_name as uncovered_source
from indicator_periods
inner join needed_sources
    on indicator_periods.indicator_id = needed_sources.indicator_id
left join {{ ref('int_reporting_periods') }} as periods
    on
        needed_sources.source_name = periods.source_name
        and indicator_periods.period_kind = periods.period_kind
        and indicator_periods.period_start = periods.period_start
where periods.period_start is null
