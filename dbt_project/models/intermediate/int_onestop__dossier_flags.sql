-- One row per dossier (latest version): the digital-service facts of the Decision 766 group 3 and
-- 4 indicators, read from the record's flags and lists (DOMAIN.md §3.3), and its checks against
-- the population database as the call log confirms them (int_onestop__population_checks). A
-- deleted file (IsDeleted = 1) counts for nothing.
with dossiers as (
    select
        dossier_id,
        has_digitised_components,
        is_vneid_verified,
        online_payment_code,
        fees,
        attachments,
        result_documents,
        linked_databases
    from {{ ref('stg_onestop__dossiers') }}
),

fee_totals as (
    select
        dossiers.dossier_id,
        count(*) as fee_items,
        sum(coalesce({{ onestop_number("fee_items.fee ->> 'Gia'") }}, 0)) as fee_amount
    from dossiers
    cross join lateral jsonb_array_elements(dossiers.fees) as fee_items (fee)
    group by dossiers.dossier_id
),

attachment_flags as (
    select
        dossiers.dossier_id,
        bool_or(coalesce({{ onestop_flag("attachment_items.attachment ->> 'DuocSoHoa'") }}, false))
            as has_digitised_file,
        bool_or(coalesce({{ onestop_flag("attachment_items.attachment ->> 'DuocLayTuKhoDMQG'") }}, false))
            as has_data_store_file
    from dossiers
    cross join lateral jsonb_array_elements(dossiers.attachments) as attachment_items (attachment)
    where
        jsonb_typeof(attachment_items.attachment) = 'object'
        and coalesce(btrim(attachment_items.attachment ->> 'IsDeleted'), '') <> '1'
    group by dossiers.dossier_id
),

electronic_results as (
    select distinct dossiers.dossier_id
    from dossiers
    cross join lateral jsonb_array_elements(dossiers.result_documents) as result_items (result_document)
    where
        jsonb_typeof(result_items.result_document) = 'object'
        and nullif(btrim(result_items.result_document ->> 'DuongDanTepTinKetQua'), '') is not null
),

population_checks as (
    select
        dossier_id,
        bool_or(is_confirmed) as is_confirmed
    from {{ ref('int_onestop__population_checks') }}
    group by dossier_id
)

select
    dossiers.dossier_id,
    dossiers.online_payment_code,
    coalesce(payment_codes.is_paid_online, false) as is_paid_online,
    coalesce(fee_totals.fee_items, 0) as fee_items,
    fee_totals.fee_amount,
    -- the dossier's own fee list says it owes nothing (every amount zero): out of 766-3.6
    coalesce(fee_totals.fee_items > 0 and fee_totals.fee_amount = 0, false) as is_fee_waived,
    coalesce(dossiers.has_digitised_components, false)
    or coalesce(attachment_flags.has_digitised_file, false) as has_digitised_components,
    coalesce(attachment_flags.has_data_store_file, false) as has_data_store_component,
    electronic_results.dossier_id is not null as has_electronic_result,
    coalesce(dossiers.is_vneid_verified, false) as is_vneid_verified,
    population_checks.dossier_id is not null as has_population_database_check,
    coalesce(population_checks.is_confirmed, false) as has_confirmed_population_check,
    coalesce(dossiers.is_vneid_verified, false)
    or coalesce(attachment_flags.has_data_store_file, false)
    or coalesce(population_checks.is_confirmed, false) as uses_population_data
from dossiers
left join {{ ref('onestop_payment_codes') }} as payment_codes
    on dossiers.online_payment_code = payment_codes.payment_code
left join fee_totals
    on dossiers.dossier_id = fee_totals.dossier_id
left join attachment_flags
    on dossiers.dossier_id = attachment_flags.dossier_id
left join electronic_results
    on dossiers.dossier_id = electronic_results.dossier_id
left join population_checks
    on dossiers.dossier_id = population_checks.dossier_id
