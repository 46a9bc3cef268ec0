-- Status packets, one row per step of a document at an agency: deduplicated on (document,
-- agency, status, time), since the axis may deliver one packet twice under two queue items.
with packets as (
    select
        item_id,
        document_id,
        created_at,
        nullif(record ->> 'From_OrganId', '') as agency_id,
        {{ onestop_code("record ->> 'StatusCode'") }} as status_code,
        {{ onestop_ts("record ->> 'Timestamp'") }} as status_at,
        batch_id,
        loaded_at
    from {{ live_rows(source('edoc', 'statuses')) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by document_id, agency_id, status_code, status_at
            order by created_at asc, item_id asc
        ) as copy_rank
    from packets
)

select
    item_id,
    document_id,
    agency_id,
    status_code,
    status_at,
    created_at,
    batch_id,
    loaded_at
from ranked
where copy_rank = 1
