{{ config(materialized='table') }}
-- Decision 766-5.2 timing per feedback item (PAKN) and reporting period (month, quarter, year:
-- judged once in each period it is in scope for), on the project's one working-day calendar.
-- In scope for a period: received before the period ends and not closed (refused or answered)
-- before it starts. Limits in working days from the reception (a reception on a day off counts
-- from the next working day): a refusal within 2, a request for more information within 5, an
-- answer within 15; a step taken at or after the period's as_of is not seen, and an item still
-- open then is late once its 15 working days are over.
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
        working_day_index,
        next_working_date
    from {{ ref('int_calendar__days') }}
),

limits as (
    select
        max(case when step = 'refused' then working_days end) as refuse_within,
        max(case when step = 'supplement_requested' then working_days end) as supplement_within,
        max(case when step = 'answered' then working_days end) as answer_within
    from {{ ref('feedback_time_limits') }}
),

received_feedback as (
    select
        feedback.feedback_id,
        feedback.agency_id,
        feedback.dossier_id,
        feedback.received_at,
        reception_days.next_working_date as counted_from_date,
        feedback.refused_at,
        feedback.supplement_requested_at,
        feedback.answered_at,
        least(feedback.refused_at, feedback.answered_at) as closed_at,
        (
            select agency_units.admin_unit_code
            from {{ ref('int_agency_units') }} as agency_units
            where
                agency_units.agency_id = feedback.agency_id
                and feedback.received_at >= agency_units.valid_from
                and feedback.received_at < agency_units.valid_to
        ) as admin_unit_code,
        (
            select agency_units.unit_valid_from
            from {{ ref('int_agency_units') }} as agency_units
            where
                agency_units.agency_id = feedback.agency_id
                and feedback.received_at >= agency_units.valid_from
                and feedback.received_at < agency_units.valid_to
        ) as admin_unit_valid_from
    from {{ ref('stg_onestop__feedback') }} as feedback
    left join calendar as reception_days
        on {{ local_date('feedback.received_at') }} = reception_days.calendar_date
    where feedback.received_at is not null
),

feedback_periods as (
    select
        received_feedback.feedback_id,
        periods.period_kind,
        periods.period_start,
        received_feedback.agency_id,
        received_feedback.admin_unit_code,
        received_feedback.admin_unit_valid_from,
        received_feedback.received_at,
        received_feedback.counted_from_date,
        periods.as_of,
        -- a step is seen only when taken before the period's as_of
        case when received_feedback.refused_at < periods.as_of then received_feedback.refused_at end
            as refused_at,
        case
            when received_feedback.supplement_requested_at < periods.as_of
                then received_feedback.supplement_requested_at
        end as supplement_requested_at,
        case when received_feedback.answered_at < periods.as_of then received_feedback.answered_at end
            as answered_at,
        coalesce(received_feedback.closed_at >= periods.as_of, true) as is_open_at_as_of
    from received_feedback
    inner join periods
        on
            received_feedback.received_at < periods.period_ends_at
            and (
                received_feedback.closed_at is null
                or received_feedback.closed_at >= periods.period_starts_at
            )
),

-- working days from the counted-from date to each step (and, still open, to the last day the
-- period covers)
measured as (
    select
        feedback_periods.*,
        refused_days.working_day_index - counted_from_days.working_day_index as refused_after_working_days,
        supplement_days.working_day_index - counted_from_days.working_day_index
            as supplement_requested_after_working_days,
        answered_days.working_day_index - counted_from_days.working_day_index as answered_after_working_days,
        open_until_days.working_day_index - counted_from_days.working_day_index as open_for_working_days
    from feedback_periods
    left join calendar as counted_from_days
        on feedback_periods.counted_from_date = counted_from_days.calendar_date
    left join calendar as refused_days
        on {{ local_date('feedback_periods.refused_at') }} = refused_days.calendar_date
    left join calendar as supplement_days
        on {{ local_date('feedback_periods.supplement_requested_at') }} = supplement_days.calendar_date
    left join calendar as answered_days
        on {{ local_date('feedback_periods.answered_at') }} = answered_days.calendar_date
    left join calendar as open_until_days
        on {{ local_date("feedback_periods.as_of - interval '1 microsecond'") }} = open_until_days.calendar_date
)

select
    measured.feedback_id,
    measured.period_kind,
    measured.period_start,
    coalesce(measured.agency_id, 'unknown') as agency_id,
    measured.admin_unit_code,
    measured.admin_unit_valid_from,
    measured.received_at,
    measured.counted_from_date,
    measured.as_of,
    measured.is_open_at_as_of,
    measured.refused_at,
    measured.supplement_requested_at,
    measured.answered_at,
    measured.refused_after_working_days,
    measured.supplement_requested_after_working_days,
    measured.answered_after_working_days,
    measured.open_for_working_days,
    coalesce(
        (measured.refused_at is null or measured.refused_after_working_days <= limits.refuse_within)
        and (
            measured.supplement_requested_at is null
            or measured.supplement_requested_after_working_days <= limits.supplement_within
        )
        and (measured.answered_at is null or measured.answered_after_working_days <= limits.answer_within)
        and (not measured.is_open_at_as_of or measured.open_for_working_days <= limits.answer_within),
        false
    ) as is_on_time
from measured
cross join limits
