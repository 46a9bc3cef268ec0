-- Packages of the document exchange (new documents, revocations, updates, replacements), one row
-- per queue item: an item served again after its acknowledgement was lost is kept once.
with packages as (
    select
        item_id,
        document_id,
        created_at,
        record,
        batch_id,
        loaded_at,
        row_number() over (partition by item_id order by loaded_at asc, batch_id asc) as copy_rank
    from {{ live_rows(source('edoc', 'packages')) }}
)

select
    item_id,
    document_id,
    created_at,
    {{ onestop_code("record ->> 'TraceHeaderList_Bussiness_BussinessDocType'") }} as business_type,
    -- the document a revocation or update acts on, or the first one a replacement supersedes
    coalesce(
        nullif(record ->> 'TraceHeaderList_Bussiness_DocumentId', ''),
        nullif(
            {{ onestop_array("record -> 'TraceHeaderList_Bussiness_ReplacementInfoList_ReplacementInfo'") }}
            -> 0 ->> 'DocumentId',
            ''
        )
    ) as acts_on_document_id,
    nullif(record ->> 'From_OrganId', '') as sender_agency_id,
    {{ onestop_code("record ->> 'TraceHeaderList_Bussiness_Paper'") }} as paper_flag,
    (record ->> 'Signed')::boolean as has_signature,
    (record ->> 'Signed')::boolean and (record ->> 'SignatureWellFormed')::boolean as is_signed,
    {{ onestop_code("record ->> 'OtherInfo_Priority'") }} as priority,
    {{ onestop_code("record ->> 'SteeringType'") }} as steering_type,
    nullif(record ->> 'DocumentType_TypeName', '') as document_type_name,
    {{ onestop_ts("record ->> 'PromulgationInfo_PromulgationDate'") }} as promulgated_at,
    {{ onestop_ts("record ->> 'DueDate'") }} as due_at,
    jsonb_array_length({{ onestop_array("record -> 'To'") }}) as recipient_count,
    jsonb_array_length({{ onestop_array("record -> 'Attachment'") }}) as attachment_count,
    (
        select coalesce(sum({{ onestop_number("attachment ->> 'Size'") }}), 0)
        from jsonb_array_elements({{ onestop_array("record -> 'Attachment'") }}) as attachment
    ) as attachment_bytes,
    batch_id,
    loaded_at
from packages
where copy_rank = 1
