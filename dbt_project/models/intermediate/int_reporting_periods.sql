-- Reporting months per source: every local calendar month in which the source covers at least one
-- day (int_source_coverage__days). A month with no covered day is absent, so no indicator gets a
-- value for it. A month covered on every day is complete; otherwise it is provisional and measured
-- as of the end of its last covered day (the month in progress, or a month with a gap). A month
-- covered on every day is still provisional when the loader refused more than the seed
-- dq_thresholds allows (reject_share.provisional_above) of some entity's records in it.
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

-- the worst reject share of the source's entities in the month
month_quality as (
    select
        source_name,
        period_month,
        max(reject_share) as reject_share
    from {{ ref('int_source_quality__months') }}
    group by source_name, period_month
),

reject_limit as (
    select provisional_above
    from {{ ref('dq_thresholds') }}
    where measure = 'reject_share'
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
),

judged as (
    select
        periods.source_name,
        periods.period_month,
        periods.period_start,
        periods.period_end,
        periods.covered_days,
        periods.days_in_month,
        periods.covered_until,
        periods.covered_days = periods.days_in_month as is_fully_covered,
        coalesce(month_quality.reject_share, 0) as reject_share,
        coalesce(month_quality.reject_share, 0) > coalesce(reject_limit.provisional_above, 1)
            as is_reject_share_high
    from periods
    left join reject_limit on true
    left join month_quality
        on
            periods.source_name = month_quality.source_name
            and periods.period_month = month_quality.period_month
)

select
    source_name,
    period_month,
    period_start,
    period_end,
    covered_days,
    days_in_month,
    is_fully_covered,
    reject_share,
    is_reject_share_high,
    is_fully_covered and not is_reject_share_high as is_complete,
    case when is_fully_covered then period_end else covered_until end as as_of
from judged
