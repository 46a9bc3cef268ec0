-- One row per call a provincial system made to the national population database, as the
-- integration platform logged it: who called (the agency, when the agency catalogue knows the
-- member code the log names), which service, when, how long it took and how it ended. The request
-- id is the message id a one-stop dossier's lookup carries too (int_population__dossier_lookups).
with calls as (
    select
        message_id,
        client,
        client_member_code,
        client_subsystem_code,
        service_code,
        request_in_at,
        response_out_at,
        latency_ms,
        is_succeeded,
        fault_code,
        status_code,
        request_bytes,
        response_bytes
    from {{ ref('stg_population__calls') }}
),

catalogue_agency_ids as (
    select distinct agency_id
    from {{ ref('dim_agency') }}
)

select
    calls.message_id as request_id,
    calls.client,
    catalogue_agency_ids.agency_id,
    calls.client_member_code,
    calls.client_subsystem_code,
    calls.service_code,
    coalesce(services.is_lookup, false) as is_known_service,
    calls.request_in_at as called_at,
    {{ local_date('calls.request_in_at') }} as call_date,
    calls.response_out_at,
    calls.latency_ms,
    calls.is_succeeded,
    calls.fault_code,
    calls.status_code,
    calls.request_bytes,
    calls.response_bytes
from calls
left join catalogue_agency_ids
    on calls.client_member_code = catalogue_agency_ids.agency_id
left join {{ ref('population_services') }} as services
    on calls.service_code = services.service_code
