-- No indicator value for a month that a source the indicator needs does not cover (not one day):
-- such a month must be absent from ind_values__unit_month, never shown with carried-over figures.
with needed_sources as (
    select
        catalogue.indicator_id,
        needed.source_name
    from {{ ref('indicator_catalogue') }} as catalogue
    cross join lateral regexp_split_to_table(btrim(catalogue.sources), '\s+') as needed (source_name)
    where catalogue.measure is not null
),

indicator_months as (
    select distinct
        indicator_id,
        period_month
    from {{ ref('ind_values__unit_month') }}
)

select
    indicator_months.indicator_id,
    indicator_months.period_month,
    needed_sources.source_name as uncovered_source
from indicator_months
inner join needed_sources
    on indicator_months.indicator_id = needed_sources.indicator_id
left join {{ ref('int_reporting_periods') }} as periods
    on
        needed_sources.source_name = periods.source_name
        and indicator_months.period_month = periods.period_month
where periods.period_month is null
