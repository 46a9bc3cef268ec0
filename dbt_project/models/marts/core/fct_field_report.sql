-- One row per citizen field report as last stored: who handles it, where (a pair of coordinates
-- given the wrong way round is swapped back and marked), its urgency (the report's, else its
-- category's) and its deadlines from seed ioc_report_urgencies: in hours from its making, or in
-- working days of the one calendar counted from the first working day on or after the day it was
-- made (that day is day 0). Answered or resolved in time: null while neither happened nor the
-- deadline passed; resolution is judged only where the source sends a processing date.
with reports as (
    select
        reports.report_id,
        reports.agency_id,
        reports.commune_code,
        reports.category_id,
        coalesce(reports.urgency, categories.urgency) as urgency,
        reports.created_at,
        reports.answered_at,
        reports.processed_at,
        reports.latitude_as_sent,
        reports.longitude_as_sent,
        reports.state_count
    from {{ ref('stg_ioc__reports') }} as reports
    left join {{ ref('stg_ioc__report_categories') }} as categories
        on reports.category_id = categories.category_id
),

-- the report is as far as the feed reached: the latest time it says anything happened
reached as (
    select max(greatest(created_at, answered_at, processed_at)) as reached_at
    from reports
),

counted_from as (
    select
        reports.report_id,
        first_working.working_day_index
    from reports
    inner join {{ ref('int_calendar__days') }} as made_on
        on {{ local_date('reports.created_at') }} = made_on.calendar_date
    inner join {{ ref('int_calendar__days') }} as first_working
        on made_on.next_working_date = first_working.calendar_date
),

-- the end of the n-th working day after the counted-from day, for each limit in working days
deadlines as (
    select
        reports.report_id,
        {{ deadline_after(
            'reports.created_at',
            'tiers.answer_within_hours',
            'tiers.answer_within_working_days',
            'counted_from.working_day_index'
        ) }} as answer_due_at,
        {{ deadline_after(
            'reports.created_at',
            'tiers.resolve_within_hours',
            'tiers.resolve_within_working_days',
            'counted_from.working_day_index'
        ) }} as resolve_due_at
    from reports
    inner join {{ ref('ioc_report_urgencies') }} as tiers
        on reports.urgency = tiers.urgency
    left join counted_from
        on reports.report_id = counted_from.report_id
),

placed as (
    select
        reports.*,
        -- Vietnam spans 8–24° N and 102–110° E: a latitude that is not one, beside a longitude that
        -- is one, was sent in the other's place (ingestion refused a pair that is a point neither way)
        not (reports.latitude_as_sent between 8 and 24 and reports.longitude_as_sent between 102 and 110)
        and reports.longitude_as_sent between 8 and 24
        and reports.latitude_as_sent between 102 and 110 as is_coordinates_swapped
    from reports
)

select
    placed.report_id,
    placed.agency_id,
    placed.commune_code,
    {{ agency_unit_at('placed.agency_id', 'placed.created_at', 'admin_unit_code') }} as agency_unit_code,
    placed.category_id,
    placed.urgency,
    placed.created_at,
    placed.answered_at,
    placed.processed_at,
    case when placed.is_coordinates_swapped then placed.longitude_as_sent else placed.latitude_as_sent end
        as latitude,
    case when placed.is_coordinates_swapped then placed.latitude_as_sent else placed.longitude_as_sent end
        as longitude,
    coalesce(placed.is_coordinates_swapped, false) as is_coordinates_swapped,
    placed.state_count,
    deadlines.answer_due_at,
    deadlines.resolve_due_at,
    case
        when placed.answered_at is not null then placed.answered_at <= deadlines.answer_due_at
        when deadlines.answer_due_at <= reached.reached_at then false
    end as is_answered_in_time,
    case
        when placed.processed_at is not null then placed.processed_at <= deadlines.resolve_due_at
    end as is_resolved_in_time
from placed
cross join reached
left join deadlines
    on placed.report_id = deadlines.report_id
