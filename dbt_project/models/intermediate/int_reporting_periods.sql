-- Reporting months: every local calendar month overlapping the one-stop dossier ingestion
-- coverage, with the instant indicators are measured at (as_of) and whether the month is
-- loaded completely (one gap-free run of succeeded batches spans it).
with dossier_batches as (
    select
        interval_start,
        interval_end
    from {{ ref('stg_ops__batches') }}
    where
        source_name = 'onestop'
        and entity_name = 'dossiers'
        and status = 'succeeded'
),

coverage as (
    select
        min(interval_start) as coverage_start,
        max(interval_end) as coverage_end
    from dossier_batches
),

ordered_batches as (
    select
        interval_start,
        interval_end,
        max(interval_end) over (
            order by interval_start, interval_end
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from dossier_batches
),

island_starts as (
    select
        interval_start,
        interval_end,
        sum(case when previous_end >= interval_start then 0 else 1 end) over (
            order by interval_start, interval_end
            rows between unbounded preceding and current row
        ) as island_id
    from ordered_batches
),

islands as (
    select
        island_id,
        min(interval_start) as island_start,
        max(interval_end) as island_end
    from island_starts
    group by island_id
),

months as (
    select
        coverage.coverage_start,
        coverage.coverage_end,
        month_starts.month_start::date as period_month
    from coverage
    cross join lateral generate_series(
        date_trunc('month', coverage.coverage_start at time zone '{{ var("local_timezone") }}'),
        date_trunc(
            'month', (coverage.coverage_end - interval '1 microsecond') at time zone '{{ var("local_timezone") }}'
        ),
        interval '1 month'
    ) as month_starts (month_start)
),

periods as (
    select
        period_month,
        {{ local_midnight('period_month') }} as period_start,
        {{ local_midnight("period_month + interval '1 month'") }} as period_end,
        coverage_start,
        coverage_end
    from months
),

complete_months as (
    select distinct periods.period_month
    from periods
    inner join islands
        on
            periods.period_start >= islands.island_start
            and periods.period_end <= islands.island_end
)

select
    periods.period_month,
    periods.period_start,
    periods.period_end,
    least(periods.period_end, periods.coverage_end) as as_of,
    complete_months.period_month is not null as is_complete,
    periods.coverage_start,
    periods.coverage_end
from periods
left join complete_months
    on periods.period_month = complete_months.period_month
