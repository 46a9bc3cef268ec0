{{ config(materialized='table') }}
-- Decision 766 indicator 2.1 (settled early or on time), judged per dossier and reporting period
-- (month, quarter and year: a dossier is judged once in each period it is in scope for).
-- In scope for a period: received before the period ends and not finished before it starts.
-- A dossier is judged at the first of its end of processing and the period's as_of; supplement
-- waits before that instant are subtracted; more than one supplement request is late.
with periods as (
    select
        period_kind,
        period_start,
        period_starts_at,
        period_ends_at,
        as_of
    from {{ ref('int_reporting_periods') }}
    where source_name = 'onestop'
),

received_dossiers as (
    select
        dossier_id,
        agency_id,
        received_at,
        processing_ended_at,
        base_promised_at,
        time_limit,
        time_limit_unit
    from {{ ref('fct_dossier') }}
    where is_received
),

calendar as (
    select
        calendar_date,
        working_day_index
    from {{ ref('int_calendar__days') }}
),

dossier_periods as (
    select
        received_dossiers.dossier_id,
        periods.period_kind,
        periods.period_start,
        received_dossiers.agency_id,
        received_dossiers.received_at,
        received_dossiers.processing_ended_at,
        received_dossiers.base_promised_at,
        received_dossiers.time_limit,
        received_dossiers.time_limit_unit,
        periods.as_of,
        coalesce(received_dossiers.processing_ended_at >= periods.as_of, true) as is_open_at_as_of,
        -- still open: judged at the last instant the period covers (a dossier due on the
        -- period's last day is on time until that day is over)
        case
            when received_dossiers.processing_ended_at < periods.as_of then received_dossiers.processing_ended_at
            else periods.as_of - interval '1 microsecond'
        end as effective_end_at
    from received_dossiers
    inner join periods
        on
            received_dossiers.received_at < periods.period_ends_at
            and (
                received_dossiers.processing_ended_at is null
                or received_dossiers.processing_ended_at >= periods.period_starts_at
            )
),

supplement_waits as (
    select
        dossier_periods.dossier_id,
        dossier_periods.period_kind,
        dossier_periods.period_start,
        supplements.requested_at,
        least(
            coalesce(supplements.supplied_at, dossier_periods.effective_end_at), dossier_periods.effective_end_at
        ) as wait_ended_at
    from dossier_periods
    inner join {{ ref('stg_onestop__supplements') }} as supplements
        on
            dossier_periods.dossier_id = supplements.dossier_id
            and dossier_periods.effective_end_at > supplements.requested_at
),

supplement_totals as (
    select
        supplement_waits.dossier_id,
        supplement_waits.period_kind,
        supplement_waits.period_start,
        count(*) as supplements_counted,
        sum(greatest(supplement_waits.wait_ended_at - supplement_waits.requested_at, interval '0 seconds'))
            as supplement_wait,
        sum(
            greatest(
                {{ local_date('supplement_waits.wait_ended_at') }}
                - {{ local_date('supplement_waits.requested_at') }},
                0
            )
        ) as supplement_calendar_days,
        sum(greatest(wait_end_days.working_day_index - request_days.working_day_index, 0))
            as supplement_working_days
    from supplement_waits
    left join calendar as request_days
        on {{ local_date('supplement_waits.requested_at') }} = request_days.calendar_date
    left join calendar as wait_end_days
        on {{ local_date('supplement_waits.wait_ended_at') }} = wait_end_days.calendar_date
    group by supplement_waits.dossier_id, supplement_waits.period_kind, supplement_waits.period_start
),

measured as (
    select
        dossier_periods.dossier_id,
        dossier_periods.period_kind,
        dossier_periods.period_start,
        dossier_periods.agency_id,
        dossier_periods.received_at,
        dossier_periods.processing_ended_at,
        dossier_periods.as_of,
        dossier_periods.is_open_at_as_of,
        dossier_periods.effective_end_at,
        dossier_periods.base_promised_at,
        dossier_periods.time_limit,
        dossier_periods.time_limit_unit,
        coalesce(supplement_totals.supplements_counted, 0) as supplements_counted,
        coalesce(supplement_totals.supplement_wait, interval '0 seconds') as supplement_wait,
        end_days.working_day_index
        - received_days.working_day_index
        - coalesce(supplement_totals.supplement_working_days, 0) as elapsed_working_days,
        {{ local_date('dossier_periods.effective_end_at') }}
        - {{ local_date('dossier_periods.received_at') }}
        - coalesce(supplement_totals.supplement_calendar_days, 0) as elapsed_calendar_days,
        extract(
            epoch from dossier_periods.effective_end_at
            - dossier_periods.received_at
            - coalesce(supplement_totals.supplement_wait, interval '0 seconds')
        ) / 3600 as elapsed_hours
    from dossier_periods
    left join supplement_totals
        on
            dossier_periods.dossier_id = supplement_totals.dossier_id
            and dossier_periods.period_kind = supplement_totals.period_kind
            and dossier_periods.period_start = supplement_totals.period_start
    left join calendar as received_days
        on {{ local_date('dossier_periods.received_at') }} = received_days.calendar_date
    left join calendar as end_days
        on {{ local_date('dossier_periods.effective_end_at') }} = end_days.calendar_date
),

judged as (
    select
        dossier_id,
        period_kind,
        period_start,
        agency_id,
        received_at,
        processing_ended_at,
        as_of,
        is_open_at_as_of,
        effective_end_at,
        base_promised_at,
        time_limit,
        time_limit_unit,
        supplements_counted,
        supplement_wait,
        elapsed_working_days,
        elapsed_calendar_days,
        elapsed_hours,
        case
            when supplements_counted > 1 then 'multiple_supplements'
            when base_promised_at is not null then 'promised_date'
            when time_limit is not null and time_limit_unit = 'working_days' then 'time_limit_working_days'
            when time_limit is not null and time_limit_unit = 'calendar_days' then 'time_limit_calendar_days'
            when time_limit is not null and time_limit_unit = 'hours' then 'time_limit_hours'
            else 'undeterminable'
        end as on_time_basis
    from measured
)

select
    dossier_id,
    period_kind,
    period_start,
    agency_id,
    received_at,
    processing_ended_at,
    as_of,
    is_open_at_as_of,
    effective_end_at,
    base_promised_at,
    time_limit,
    time_limit_unit,
    supplements_counted,
    supplement_wait,
    elapsed_working_days,
    elapsed_calendar_days,
    elapsed_hours,
    on_time_basis,
    coalesce(
        case on_time_basis
            when 'promised_date'
                then
                    {{ local_date('effective_end_at - supplement_wait') }}
                    <= {{ local_date('base_promised_at') }}
            when 'time_limit_working_days' then elapsed_working_days <= time_limit
            when 'time_limit_calendar_days' then elapsed_calendar_days <= time_limit
            when 'time_limit_hours' then elapsed_hours <= time_limit
            else false
        end,
        false
    ) as is_on_time
from judged
