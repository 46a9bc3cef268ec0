-- Reporting months per source: every local calendar month in which the source covers at least one
-- day (int_source_coverage__days). A month with no covered day is absent, so no indicator gets a
-- value for it. A month covered on every day is complete; otherwise it is provisional and measured
-- as of the end of its last covered day (the month in progress, or a month with a gap).
with covered_days as (
    select
        source_name,
        covered_date,
        day_end,
        date_trunc('month', covered_date)::date as period_month
    from {{ ref('int_source_coverage__days') }}
),

months as (
    select
        source_name,
        period_month,
        count(*) as covered_days,
        max(day_end) as covered_until
    from covered_days
    group by source_name, period_month
),

periods as (
    select
        source_name,
        period_month,
        {{ local_midnight('period_month') }} as period_start,
        {{ local_midnight("period_month + interval '1 month'") }} as period_end,
        ((period_month + interval '1 month')::date - period_month) as days_in_month,
        covered_days,
        covered_until
    from months
)

select
    source_name,
    period_month,
    period_start,
    period_end,
    covered_days,
    days_in_month,
    covered_days = days_in_month as is_complete,
    case when covered_days = days_in_month then period_end else covered_until end as as_of
from periods
