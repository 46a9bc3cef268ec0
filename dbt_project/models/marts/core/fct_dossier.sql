-- One row per dossier (latest version), with the facts every dossier indicator needs.
with dossiers as (
    select
        dossier_id,
        dossier_alt_code,
        version,
        procedure_id,
        channel_code,
        applicant_type,
        status_code,
        handling_agency_name,
        submitted_at,
        received_at,
        promised_at,
        processing_ended_at,
        returned_at,
        refused_at,
        has_digitised_components,
        is_vneid_verified,
        online_payment_code,
        version_updated_at
    from {{ ref('stg_onestop__dossiers') }}
),

supplement_summary as (
    select
        dossier_id,
        count(*) as supplement_count,
        (array_agg(promised_before order by requested_at nulls last, supplement_ordinal))[1]
            as first_promised_before
    from {{ ref('stg_onestop__supplements') }}
    group by dossier_id
),

progress_ends as (
    select
        dossier_id,
        min(processed_at) as ended_at
    from {{ ref('stg_onestop__progress') }}
    where status_code in ('7', '8', '9', '10')
    group by dossier_id
),

version_ends as (
    select
        dossier_id,
        (array_agg(version_updated_at order by version))[1] as ended_at
    from {{ ref('stg_onestop__dossier_versions') }}
    where status_code in ('7', '8', '9', '10') and version_updated_at is not null
    group by dossier_id
),

agencies_by_name as (
    select
        agency_name,
        min(agency_id) as agency_id
    from {{ ref('dim_agency') }}
    where agency_name is not null
    group by agency_name
    having count(*) = 1
),

channel_time_limits as (
    select
        procedure_id,
        channel_code,
        time_limit,
        time_limit_unit,
        row_number() over (
            partition by procedure_id, channel_code
            order by method_ordinal, option_ordinal
        ) as preference
    from {{ ref('stg_onestop__procedure_time_limits') }}
    where time_limit is not null and time_limit_unit is not null and channel_code is not null
),

resolved as (
    select
        dossiers.dossier_id,
        dossiers.dossier_alt_code,
        case
            when dossiers.dossier_id ~ '^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}-'
                then split_part(dossiers.dossier_id, '-', 1)
            else agencies_by_name.agency_id
        end as agency_id,
        case
            when dossiers.dossier_id ~ '^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}-'
                then 'dossier_code'
            when agencies_by_name.agency_id is not null then 'agency_name'
        end as agency_id_source,
        dossiers.handling_agency_name,
        dossiers.procedure_id,
        dossiers.channel_code,
        dossiers.applicant_type,
        dossiers.status_code,
        dossiers.submitted_at,
        dossiers.received_at,
        dossiers.promised_at,
        coalesce(supplement_summary.first_promised_before, dossiers.promised_at) as base_promised_at,
        case
            when dossiers.status_code in ('7', '8', '9', '10')
                then coalesce(dossiers.processing_ended_at, progress_ends.ended_at, version_ends.ended_at)
        end as processing_ended_at,
        case
            when dossiers.status_code not in ('7', '8', '9', '10') then null
            when dossiers.processing_ended_at is not null then 'record'
            when progress_ends.ended_at is not null then 'progress'
            when version_ends.ended_at is not null then 'version'
        end as processing_ended_at_source,
        dossiers.returned_at,
        dossiers.refused_at,
        coalesce(supplement_summary.supplement_count, 0) as supplement_count,
        coalesce(channel_time_limits.time_limit, procedure_defaults.time_limit) as time_limit,
        case
            when channel_time_limits.time_limit is not null then channel_time_limits.time_limit_unit
            else procedure_defaults.time_limit_unit
        end as time_limit_unit,
        dossiers.has_digitised_components,
        dossiers.is_vneid_verified,
        dossiers.online_payment_code,
        dossiers.version as source_version,
        dossiers.version_updated_at as source_updated_at
    from dossiers
    left join supplement_summary
        on dossiers.dossier_id = supplement_summary.dossier_id
    left join progress_ends
        on dossiers.dossier_id = progress_ends.dossier_id
    left join version_ends
        on dossiers.dossier_id = version_ends.dossier_id
    left join agencies_by_name
        on dossiers.handling_agency_name = agencies_by_name.agency_name
    left join {{ ref('dim_procedure') }} as procedure_defaults
        on dossiers.procedure_id = procedure_defaults.procedure_id
    left join channel_time_limits
        on
            dossiers.procedure_id = channel_time_limits.procedure_id
            and dossiers.channel_code = channel_time_limits.channel_code
            and channel_time_limits.preference = 1
)

select
    dossier_id,
    dossier_alt_code,
    agency_id,
    agency_id_source,
    handling_agency_name,
    procedure_id,
    channel_code,
    coalesce(channel_code = '2', false) as is_online,
    applicant_type,
    status_code,
    coalesce(status_code not in ('1', '3'), false) and received_at is not null as is_received,
    submitted_at,
    received_at,
    promised_at,
    base_promised_at,
    processing_ended_at,
    processing_ended_at_source,
    coalesce(status_code in ('9', '10'), false) as is_settled,
    case when status_code in ('9', '10') then processing_ended_at end as settled_at,
    returned_at,
    refused_at,
    supplement_count,
    time_limit,
    time_limit_unit,
    has_digitised_components,
    is_vneid_verified,
    online_payment_code,
    source_version,
    source_updated_at
from resolved
