-- One row per step of a document's handling at an agency (its status packets, deduplicated), with
-- the agency's unit of government at the step's time. A
-- finishing step (06) carries the handling time: working days from the document's arrival there
-- (01) to it, and whether it finished by the document's due date. A packet for a document never
-- received is kept (document_is_known false) and measures nothing.
with statuses as (
    select
        document_id,
        agency_id,
        status_code,
        status_at,
        created_at
    from {{ ref('stg_edoc__statuses') }}
),

status_codes as (
    select
        status_code,
        step_order,
        ends_handling
    from {{ ref('edoc_status_codes') }}
),

arrivals as (
    select
        document_id,
        agency_id,
        min(status_at) as arrived_at
    from statuses
    where status_code = '01'
    group by document_id, agency_id
),

working_days as (
    select
        calendar_date,
        working_day_index
    from {{ ref('int_calendar__days') }}
)

select
    statuses.document_id,
    statuses.agency_id,
    {{ is_province_agency('statuses.agency_id') }} as is_received_in_province,
    {{ agency_unit_at('statuses.agency_id', 'statuses.status_at', 'admin_unit_code') }} as admin_unit_code,
    {{ agency_unit_at('statuses.agency_id', 'statuses.status_at', 'unit_valid_from') }} as admin_unit_valid_from,
    statuses.status_code,
    status_codes.step_order,
    coalesce(status_codes.ends_handling, false) as ends_handling,
    statuses.status_at,
    statuses.created_at,
    documents.document_id is not null as document_is_known,
    arrivals.arrived_at,
    -- working days in (arrival day, finishing day]: finished on the day it arrived is 0
    case
        when statuses.status_code = '06' and arrivals.arrived_at is not null
            then finished_days.working_day_index - arrived_days.working_day_index
    end as handling_working_days,
    case
        when statuses.status_code = '06' and documents.due_at is not null
            then {{ local_date('statuses.status_at') }} <= {{ local_date('documents.due_at') }}
    end as is_within_due_date,
    documents.sender_agency_id,
    documents.due_at
from statuses
left join status_codes
    on statuses.status_code = status_codes.status_code
left join {{ ref('fct_document') }} as documents
    on statuses.document_id = documents.document_id
left join arrivals
    on statuses.document_id = arrivals.document_id and statuses.agency_id = arrivals.agency_id
left join working_days as arrived_days
    on {{ local_date('arrivals.arrived_at') }} = arrived_days.calendar_date
left join working_days as finished_days
    on {{ local_date('statuses.status_at') }} = finished_days.calendar_date
