-- The periods each computed indicator is published for: those every source it needs (catalogue
-- `sources`) covers on at least one day, complete when all cover every day of it and none is
-- stale (its latest freshness check did not pass), measured as of the earliest coverage end.
with catalogue as (
    select
        indicator_id,
        sources
    from {{ ref('indicator_catalogue') }}
    where measure is not null
),

needed_sources as (
    select
        catalogue.indicator_id,
        needed.source_name
    from catalogue
    cross join lateral regexp_split_to_table(btrim(catalogue.sources), '\s+') as needed (source_name)
),

-- indicators reading a source whose latest freshness check did not pass: provisional while it lasts
stale_indicators as (
    select distinct needed_sources.indicator_id
    from needed_sources
    inner join {{ ref('stg_ops__source_freshness') }} as freshness
        on needed_sources.source_name = freshness.source_name
    where freshness.is_stale
),

needed_source_counts as (
    select
        indicator_id,
        count(*) as needed_sources
    from needed_sources
    group by indicator_id
),

indicator_periods as (
    select
        needed_sources.indicator_id,
        periods.period_kind,
        periods.period_start,
        bool_and(periods.is_complete) as is_complete,
        min(periods.as_of) as as_of,
        count(*) as covering_sources
    from needed_sources
    inner join {{ ref('int_reporting_periods') }} as periods
        on needed_sources.source_name = periods.source_name
    group by needed_sources.indicator_id, periods.period_kind, periods.period_start
)

select
    indicator_periods.indicator_id,
    indicator_periods.period_kind,
    indicator_periods.period_start,
    (indicator_periods.period_start + {{ period_length('indicator_periods.period_kind') }})::date as period_end,
    indicator_periods.is_complete and stale_indicators.indicator_id is null as is_complete,
    indicator_periods.as_of
from indicator_periods
inner join needed_source_counts
    on
        indicator_periods.indicator_id = needed_source_counts.indicator_id
        and indicator_periods.covering_sources = needed_source_counts.needed_sources
left join stale_indicators
    on indicator_periods.indicator_id = stale_indicators.indicator_id
