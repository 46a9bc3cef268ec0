-- Reporting periods per source and kind (month, quarter, year): every local calendar period in
-- which the source covers at least one day (int_source_coverage__days). A period with no covered
-- day is absent, so no indicator gets a value for it. A period covered on every day is complete;
-- otherwise it is provisional and measured as of the end of its last covered day (the period in
-- progress, or one with a gap). A period covered on every day is still provisional when the
-- loader refused more than the seed dq_thresholds allows (reject_share.provisional_above) of some
-- entity's records in one of its months.
with period_kinds as (
    select unnest(string_to_array('{{ period_kinds() | join(",") }}', ',')) as period_kind
),

covered_days as (
    select
        coverage.source_name,
        period_kinds.period_kind,
        {{ period_start_of('period_kinds.period_kind', 'coverage.covered_date') }} as period_start,
        coverage.day_end
    from {{ ref('int_source_coverage__days') }} as coverage
    cross join period_kinds
),

covered_periods as (
    select
        source_name,
        period_kind,
        period_start,
        count(*) as covered_days,
        max(day_end) as covered_until
    from covered_days
    group by source_name, period_kind, period_start
),

-- the worst reject share of the source's entities in any month of the period
period_quality as (
    select
        quality.source_name,
        period_kinds.period_kind,
        {{ period_start_of('period_kinds.period_kind', 'quality.period_month') }} as period_start,
        max(quality.reject_share) as reject_share
    from {{ ref('int_source_quality__months') }} as quality
    cross join period_kinds
    group by
        quality.source_name,
        period_kinds.period_kind,
        {{ period_start_of('period_kinds.period_kind', 'quality.period_month') }}
),

reject_limit as (
    select provisional_above
    from {{ ref('dq_thresholds') }}
    where measure = 'reject_share'
),

periods as (
    select
        source_name,
        period_kind,
        period_start,
        {{ local_midnight('period_start') }} as period_starts_at,
        {{ local_midnight('period_start + ' ~ period_length('period_kind')) }} as period_ends_at,
        ((period_start + {{ period_length('period_kind') }})::date - period_start) as days_in_period,
        covered_days,
        covered_until
    from covered_periods
),

judged as (
    select
        periods.source_name,
        periods.period_kind,
        periods.period_start,
        periods.period_starts_at,
        periods.period_ends_at,
        periods.covered_days,
        periods.days_in_period,
        periods.covered_until,
        periods.covered_days = periods.days_in_period as is_fully_covered,
        coalesce(period_quality.reject_share, 0) as reject_share,
        coalesce(period_quality.reject_share, 0) > coalesce(reject_limit.provisional_above, 1)
            as is_reject_share_high
    from periods
    left join reject_limit on true
    left join period_quality
        on
            periods.source_name = period_quality.source_name
            and periods.period_kind = period_quality.period_kind
            and periods.period_start = period_quality.period_start
)

select
    source_name,
    period_kind,
    period_start,
    period_starts_at,
    period_ends_at,
    covered_days,
    days_in_period,
    is_fully_covered,
    reject_share,
    is_reject_share_high,
    is_fully_covered and not is_reject_share_high as is_complete,
    case when is_fully_covered then period_ends_at else covered_until end as as_of
from judged
