-- One row per document sent through the axis (a new package, or a replacement, which is a new
-- document): who sent it and when, whether it travelled electronically and signed, and whether a
-- later package revoked, updated or replaced it. The sender's unit of government is the one its
-- agency belonged to when the document was sent.
with paper_flags as (
    select
        paper_flag,
        is_electronic
    from {{ ref('edoc_paper_flags') }}
),

priorities as (
    select
        priority,
        is_urgent
    from {{ ref('edoc_priorities') }}
),

-- a document listed twice (two queue items) is the one listed first
documents as (
    select distinct on (document_id)
        document_id,
        item_id,
        created_at as sent_at,
        business_type,
        sender_agency_id,
        paper_flag,
        is_signed,
        has_signature,
        priority,
        steering_type,
        document_type_name,
        promulgated_at,
        due_at,
        recipient_count,
        attachment_count,
        attachment_bytes
    from {{ ref('stg_edoc__packages') }}
    where business_type in ('0', '3')
    order by document_id asc, created_at asc, item_id asc
),

-- what later packages did to a document: revoked (1), updated (2) or replaced (3)
later_actions as (
    select
        acts_on_document_id as document_id,
        bool_or(business_type = '1') as is_revoked,
        bool_or(business_type = '2') as is_updated,
        bool_or(business_type = '3') as is_replaced
    from {{ ref('stg_edoc__packages') }}
    where business_type in ('1', '2', '3') and acts_on_document_id is not null
    group by acts_on_document_id
)

select
    documents.document_id,
    documents.item_id,
    documents.sent_at,
    documents.business_type,
    documents.sender_agency_id,
    {{ is_province_agency('documents.sender_agency_id') }} as is_sent_in_province,
    {{ agency_unit_at('documents.sender_agency_id', 'documents.sent_at', 'admin_unit_code') }} as admin_unit_code,
    {{ agency_unit_at('documents.sender_agency_id', 'documents.sent_at', 'unit_valid_from') }} as admin_unit_valid_from,
    documents.recipient_count,
    -- paper flag 0: electronic; a flag outside the code list is neither (null)
    paper_flags.is_electronic,
    documents.is_signed,
    documents.has_signature,
    documents.priority,
    coalesce(priorities.is_urgent, false) as is_urgent,
    documents.steering_type,
    documents.document_type_name,
    documents.promulgated_at,
    documents.due_at,
    documents.attachment_count,
    documents.attachment_bytes,
    coalesce(later_actions.is_revoked, false) as is_revoked,
    coalesce(later_actions.is_updated, false) as is_updated,
    coalesce(later_actions.is_replaced, false) as is_replaced
from documents
left join paper_flags
    on documents.paper_flag = paper_flags.paper_flag
left join priorities
    on documents.priority = priorities.priority
left join later_actions
    on documents.document_id = later_actions.document_id
