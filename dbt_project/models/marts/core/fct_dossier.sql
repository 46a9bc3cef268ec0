-- One row per dossier (latest version), with the facts every dossier indicator needs.
-- Status and channel meanings come from the code-list seeds; the procedure's time limits from
-- the procedure version in force when the dossier was received.
with statuses as (
    select
        status_code,
        is_received,
        ends_processing,
        is_settled
    from {{ ref('onestop_dossier_statuses') }}
),

channels as (
    select
        channel_code,
        is_online
    from {{ ref('onestop_channels') }}
),

portal_sync_statuses as (
    select
        sync_code,
        is_synced
    from {{ ref('onestop_portal_sync_statuses') }}
),

dossiers as (
    select
        dossier_id,
        dossier_alt_code,
        version,
        procedure_id,
        channel_code,
        applicant_type,
        status_code,
        portal_sync_code,
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
        min(requested_at) as first_requested_at
    from {{ ref('int_onestop__supplement_requests') }}
    group by dossier_id
),

-- the promise the source recorded before the first supplement moved it
supplement_list_promises as (
    select
        dossier_id,
        (array_agg(promised_before order by requested_at nulls last, supplement_ordinal))[1]
            as first_promised_before
    from {{ ref('stg_onestop__supplements') }}
    group by dossier_id
),

-- the first version at which the dossier was received: its NgayHenTra is the original promise
first_received_versions as (
    select
        dossier_versions.dossier_id,
        (array_agg(dossier_versions.promised_at order by dossier_versions.version))[1] as promised_at,
        (array_agg(dossier_versions.version_updated_at order by dossier_versions.version))[1] as version_updated_at
    from {{ ref('stg_onestop__dossier_versions') }} as dossier_versions
    inner join statuses
        on dossier_versions.status_code = statuses.status_code
    where statuses.is_received and dossier_versions.received_at is not null
    group by dossier_versions.dossier_id
),

progress_ends as (
    select
        progress.dossier_id,
        min(progress.processed_at) as ended_at
    from {{ ref('stg_onestop__progress') }} as progress
    inner join statuses
        on progress.status_code = statuses.status_code
    where statuses.ends_processing
    group by progress.dossier_id
),

version_ends as (
    select
        dossier_versions.dossier_id,
        (array_agg(dossier_versions.version_updated_at order by dossier_versions.version))[1] as ended_at
    from {{ ref('stg_onestop__dossier_versions') }} as dossier_versions
    inner join statuses
        on dossier_versions.status_code = statuses.status_code
    where statuses.ends_processing and dossier_versions.version_updated_at is not null
    group by dossier_versions.dossier_id
),

-- An agency is found by any name it has had (a dossier carries the name of its time); a name
-- two agencies have had is ambiguous and not used.
agencies_by_name as (
    select
        agency_name,
        min(agency_id) as agency_id
    from {{ ref('dim_agency') }}
    where agency_name is not null
    group by agency_name
    having count(distinct agency_id) = 1
),

catalogue_agency_ids as (
    select distinct agency_id
    from {{ ref('dim_agency') }}
),

-- The procedure version in force when the dossier was received; received before the catalogue
-- first listed the procedure: its first version; after it was closed, or not received: its last.
procedure_versions as (
    select
        dossiers.dossier_id,
        procedure_catalogue.procedure_id,
        procedure_catalogue.valid_from,
        procedure_catalogue.time_limit,
        procedure_catalogue.time_limit_unit,
        row_number() over (
            partition by dossiers.dossier_id
            order by
                coalesce(
                    dossiers.received_at >= procedure_catalogue.valid_from
                    and (procedure_catalogue.valid_to is null or dossiers.received_at < procedure_catalogue.valid_to),
                    false
                ) desc,
                case
                    when dossiers.received_at < procedure_catalogue.valid_from then procedure_catalogue.valid_from
                end asc nulls last,
                procedure_catalogue.valid_from desc
        ) as preference
    from dossiers
    inner join {{ ref('dim_procedure') }} as procedure_catalogue
        on dossiers.procedure_id = procedure_catalogue.procedure_id
),

procedure_defaults as (
    select
        dossier_id,
        procedure_id,
        valid_from,
        time_limit,
        time_limit_unit
    from procedure_versions
    where preference = 1
),

channel_time_limits as (
    select
        procedure_id,
        valid_from,
        channel_code,
        time_limit,
        time_limit_unit,
        row_number() over (
            partition by procedure_id, valid_from, channel_code
            order by method_ordinal, option_ordinal
        ) as preference
    from {{ ref('int_onestop__procedure_time_limits') }}
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
        procedure_defaults.procedure_id is not null as is_procedure_in_catalogue,
        dossiers.channel_code,
        dossiers.applicant_type,
        dossiers.status_code,
        coalesce(dossier_statuses.is_received, false) as is_received_status,
        coalesce(dossier_statuses.is_settled, false) as is_settled_status,
        coalesce(channels.is_online, false) as is_online,
        -- an empty or unknown sync status is not a sync the portal confirmed
        coalesce(portal_sync_statuses.is_synced, false) as is_synced_to_portal,
        dossiers.submitted_at,
        dossiers.received_at,
        dossiers.promised_at,
        -- the first received version's promise when it was recorded before any supplement
        -- request; else the list's promise before the first request (DOMAIN.md §3.3)
        coalesce(
            case
                when
                    first_received_versions.version_updated_at
                    <= coalesce(supplement_summary.first_requested_at, 'infinity'::timestamptz)
                    then first_received_versions.promised_at
            end,
            supplement_list_promises.first_promised_before,
            first_received_versions.promised_at,
            dossiers.promised_at
        ) as base_promised_at,
        case
            when dossier_statuses.ends_processing
                then coalesce(dossiers.processing_ended_at, progress_ends.ended_at, version_ends.ended_at)
        end as processing_ended_at,
        case
            when not coalesce(dossier_statuses.ends_processing, false) then null
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
        procedure_defaults.valid_from as procedure_valid_from,
        dossiers.version as source_version,
        dossiers.version_updated_at as source_updated_at
    from dossiers
    left join statuses as dossier_statuses
        on dossiers.status_code = dossier_statuses.status_code
    left join channels
        on dossiers.channel_code = channels.channel_code
    left join portal_sync_statuses
        on dossiers.portal_sync_code = portal_sync_statuses.sync_code
    left join supplement_summary
        on dossiers.dossier_id = supplement_summary.dossier_id
    left join supplement_list_promises
        on dossiers.dossier_id = supplement_list_promises.dossier_id
    left join first_received_versions
        on dossiers.dossier_id = first_received_versions.dossier_id
    left join progress_ends
        on dossiers.dossier_id = progress_ends.dossier_id
    left join version_ends
        on dossiers.dossier_id = version_ends.dossier_id
    left join agencies_by_name
        on dossiers.handling_agency_name = agencies_by_name.agency_name
    left join procedure_defaults
        on dossiers.dossier_id = procedure_defaults.dossier_id
    left join channel_time_limits
        on
            procedure_defaults.procedure_id = channel_time_limits.procedure_id
            and procedure_defaults.valid_from = channel_time_limits.valid_from
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
    is_online,
    applicant_type,
    status_code,
    is_received_status and received_at is not null as is_received,
    is_synced_to_portal,
    submitted_at,
    received_at,
    promised_at,
    base_promised_at,
    processing_ended_at,
    processing_ended_at_source,
    is_settled_status as is_settled,
    case when is_settled_status then processing_ended_at end as settled_at,
    returned_at,
    refused_at,
    supplement_count,
    time_limit,
    time_limit_unit,
    procedure_valid_from,
    has_digitised_components,
    is_vneid_verified,
    online_payment_code,
    source_version,
    source_updated_at,
    is_procedure_in_catalogue,
    exists(
        select 1
        from catalogue_agency_ids
        where catalogue_agency_ids.agency_id = resolved.agency_id
    ) as is_agency_in_catalogue,
    -- the unit of government of the agency when the dossier was received (else submitted)
    (
        select agency_units.admin_unit_code
        from {{ ref('int_agency_units') }} as agency_units
        where
            agency_units.agency_id = resolved.agency_id
            and coalesce(resolved.received_at, resolved.submitted_at) >= agency_units.valid_from
            and coalesce(resolved.received_at, resolved.submitted_at) < agency_units.valid_to
    ) as admin_unit_code,
    (
        select agency_units.unit_valid_from
        from {{ ref('int_agency_units') }} as agency_units
        where
            agency_units.agency_id = resolved.agency_id
            and coalesce(resolved.received_at, resolved.submitted_at) >= agency_units.valid_from
            and coalesce(resolved.received_at, resolved.submitted_at) < agency_units.valid_to
    ) as admin_unit_valid_from
from resolved
