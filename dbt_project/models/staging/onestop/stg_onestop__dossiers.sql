-- The latest version of every dossier (the source re-sends a dossier whole on each change).
with ranked_versions as (
    select
        dossier_id,
        dossier_alt_code,
        version,
        procedure_id,
        procedure_name,
        field_code,
        field_name,
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
        fees,
        supplements,
        attachments,
        result_documents,
        linked_databases,
        version_updated_at,
        source_updated_at,
        row_number() over (
            partition by dossier_id
            order by version desc, source_updated_at desc, record_hash desc
        ) as recency
    from {{ ref('stg_onestop__dossier_versions') }}
),

alt_codes as (
    select
        dossier_id,
        min(alt_code) as alt_code
    from {{ ref('stg_onestop__dossier_codes') }}
    group by dossier_id
)

select
    ranked_versions.dossier_id,
    coalesce(ranked_versions.dossier_alt_code, alt_codes.alt_code) as dossier_alt_code,
    ranked_versions.version,
    ranked_versions.procedure_id,
    ranked_versions.procedure_name,
    ranked_versions.field_code,
    ranked_versions.field_name,
    ranked_versions.channel_code,
    ranked_versions.applicant_type,
    ranked_versions.status_code,
    ranked_versions.portal_sync_code,
    ranked_versions.handling_agency_name,
    ranked_versions.submitted_at,
    ranked_versions.received_at,
    ranked_versions.promised_at,
    ranked_versions.processing_ended_at,
    ranked_versions.returned_at,
    ranked_versions.refused_at,
    ranked_versions.has_digitised_components,
    ranked_versions.is_vneid_verified,
    ranked_versions.online_payment_code,
    ranked_versions.fees,
    ranked_versions.supplements,
    ranked_versions.attachments,
    ranked_versions.result_documents,
    ranked_versions.linked_databases,
    ranked_versions.version_updated_at,
    ranked_versions.source_updated_at
from ranked_versions
left join alt_codes
    on ranked_versions.dossier_id = alt_codes.dossier_id
where ranked_versions.recency = 1
