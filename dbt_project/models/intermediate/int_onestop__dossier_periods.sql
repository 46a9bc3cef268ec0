{{ config(materialized='table') }}
-- Decision 766 timing per dossier and reporting period (month, quarter and year: a dossier is
-- judged once in each period it is in scope for), by the rules of DOMAIN.md §3.3 and §4.
-- In scope for a period: received before the period ends and not finished before it starts.
-- A dossier is judged at the first of its end of processing and the period's as_of; the
-- supplement waits before that instant count in the procedure's own unit (working days, calendar
-- days or clock hours) and extend its original promise; more than one request is late.
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

calendar as (
    select
        calendar_date,
        is_working_day,
        working_day_index,
        next_working_date
    from {{ ref('int_calendar__days') }}
),

working_dates as (
    select
        calendar_date,
        working_day_index
    from calendar
    where is_working_day
),

-- a dossier received on a day off is counted from the start of the next working day
received_dossiers as (
    select
        dossiers.dossier_id,
        dossiers.agency_id,
        dossiers.procedure_id,
        dossiers.received_at,
        case
            when reception_days.is_working_day then dossiers.received_at
            else {{ local_midnight('reception_days.next_working_date') }}
        end as counted_from_at,
        reception_days.next_working_date as counted_from_date,
        dossiers.processing_ended_at,
        dossiers.base_promised_at,
        dossiers.time_limit,
        dossiers.time_limit_unit
    from {{ ref('fct_dossier') }} as dossiers
    left join calendar as reception_days
        on {{ local_date('dossiers.received_at') }} = reception_days.calendar_date
    where dossiers.is_received
),

dossier_periods as (
    select
        received_dossiers.dossier_id,
        periods.period_kind,
        periods.period_start,
        received_dossiers.agency_id,
        received_dossiers.procedure_id,
        received_dossiers.received_at,
        received_dossiers.counted_from_at,
        received_dossiers.counted_from_date,
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
        requests.requested_at,
        least(coalesce(requests.supplied_at, dossier_periods.effective_end_at), dossier_periods.effective_end_at)
            as wait_ended_at
    from dossier_periods
    inner join {{ ref('int_onestop__supplement_requests') }} as requests
        on
            dossier_periods.dossier_id = requests.dossier_id
            and dossier_periods.effective_end_at > requests.requested_at
),

-- each wait in the three units: clock time, calendar days and working days in (request, end]
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
        dossier_periods.procedure_id,
        dossier_periods.received_at,
        dossier_periods.counted_from_at,
        dossier_periods.processing_ended_at,
        dossier_periods.as_of,
        dossier_periods.is_open_at_as_of,
        dossier_periods.effective_end_at,
        dossier_periods.base_promised_at,
        dossier_periods.time_limit,
        dossier_periods.time_limit_unit,
        coalesce(supplement_totals.supplements_counted, 0) as supplements_counted,
        coalesce(supplement_totals.supplement_wait, interval '0 seconds') as supplement_wait,
        coalesce(supplement_totals.supplement_working_days, 0) as supplement_working_days,
        coalesce(supplement_totals.supplement_calendar_days, 0) as supplement_calendar_days,
        {{ local_date('dossier_periods.effective_end_at') }} as effective_end_date,
        greatest(
            end_days.working_day_index
            - counted_from_days.working_day_index
            - coalesce(supplement_totals.supplement_working_days, 0),
            0
        ) as elapsed_working_days,
        greatest(
            {{ local_date('dossier_periods.effective_end_at') }}
            - dossier_periods.counted_from_date
            - coalesce(supplement_totals.supplement_calendar_days, 0),
            0
        ) as elapsed_calendar_days,
        greatest(
            extract(
                epoch from dossier_periods.effective_end_at
                - dossier_periods.counted_from_at
                - coalesce(supplement_totals.supplement_wait, interval '0 seconds')
            ) / 3600,
            0
        ) as elapsed_hours,
        -- the promise extended by the waits in the procedure's unit (clock time when the unit is
        -- unknown); a promise or an extension ending on a day off moves to the next working day
        case
            when dossier_periods.time_limit_unit = 'working_days'
                then promised_days.next_working_date
            when dossier_periods.time_limit_unit = 'calendar_days'
                then
                    {{ local_date('dossier_periods.base_promised_at') }}
                    + coalesce(supplement_totals.supplement_calendar_days, 0)::integer
            else
                {{ local_date(
                    'dossier_periods.base_promised_at'
                    ~ " + coalesce(supplement_totals.supplement_wait, interval '0 seconds')"
                ) }}
        end as extended_promise_date,
        case
            when dossier_periods.time_limit_unit = 'working_days'
                then coalesce(supplement_totals.supplement_working_days, 0)
        end as promise_working_days_added,
        -- a calendar-day limit's deadline (its extension by the waits included)
        dossier_periods.counted_from_date
        + floor(dossier_periods.time_limit)::integer
        + coalesce(supplement_totals.supplement_calendar_days, 0)::integer as calendar_deadline_date
    from dossier_periods
    left join supplement_totals
        on
            dossier_periods.dossier_id = supplement_totals.dossier_id
            and dossier_periods.period_kind = supplement_totals.period_kind
            and dossier_periods.period_start = supplement_totals.period_start
    left join calendar as counted_from_days
        on dossier_periods.counted_from_date = counted_from_days.calendar_date
    left join calendar as end_days
        on {{ local_date('dossier_periods.effective_end_at') }} = end_days.calendar_date
    left join calendar as promised_days
        on {{ local_date('dossier_periods.base_promised_at') }} = promised_days.calendar_date
),

-- what decides the verdict, and the dates a dossier had to end by (after the waits and the
-- day-off moves)
due as (
    select
        measured.dossier_id,
        measured.period_kind,
        measured.period_start,
        case
            when measured.promise_working_days_added is not null then promise_due.calendar_date
            else extended_promise.next_working_date
        end as promised_due_date,
        calendar_due.next_working_date as calendar_deadline_due_date,
        case
            when measured.supplements_counted > 1 then 'multiple_supplements'
            when measured.base_promised_at is not null then 'promised_date'
            when measured.time_limit is not null and measured.time_limit_unit = 'working_days'
                then 'time_limit_working_days'
            when measured.time_limit is not null and measured.time_limit_unit = 'calendar_days'
                then 'time_limit_calendar_days'
            when measured.time_limit is not null and measured.time_limit_unit = 'hours' then 'time_limit_hours'
            else 'undeterminable'
        end as on_time_basis
    from measured
    left join calendar as extended_promise
        on measured.extended_promise_date = extended_promise.calendar_date
    left join working_dates as promise_due
        on extended_promise.working_day_index + measured.promise_working_days_added = promise_due.working_day_index
    left join calendar as calendar_due
        on measured.calendar_deadline_date = calendar_due.calendar_date
)

select
    measured.dossier_id,
    measured.period_kind,
    measured.period_start,
    measured.agency_id,
    measured.procedure_id,
    measured.received_at,
    measured.counted_from_at,
    measured.processing_ended_at,
    measured.as_of,
    measured.is_open_at_as_of,
    measured.effective_end_at,
    measured.base_promised_at,
    measured.time_limit,
    measured.time_limit_unit,
    measured.supplements_counted,
    measured.supplement_wait,
    measured.supplement_working_days,
    measured.supplement_calendar_days,
    measured.elapsed_working_days,
    measured.elapsed_calendar_days,
    measured.elapsed_hours,
    case measured.time_limit_unit
        when 'working_days' then measured.elapsed_working_days
        when 'calendar_days' then measured.elapsed_calendar_days
        when 'hours' then measured.elapsed_hours
    end as elapsed_in_limit_unit,
    case due.on_time_basis
        when 'promised_date' then due.promised_due_date
        when 'time_limit_calendar_days' then due.calendar_deadline_due_date
    end as due_date,
    due.on_time_basis,
    coalesce(
        case due.on_time_basis
            when 'promised_date' then measured.effective_end_date <= due.promised_due_date
            when 'time_limit_working_days' then measured.elapsed_working_days <= measured.time_limit
            when 'time_limit_calendar_days' then measured.effective_end_date <= due.calendar_deadline_due_date
            when 'time_limit_hours' then measured.elapsed_hours <= measured.time_limit
            else false
        end,
        false
    ) as is_on_time
from measured
inner join due
    on
        measured.dossier_id = due.dossier_id
        and measured.period_kind = due.period_kind
        and measured.period_start = due.period_start
