-- Every logged call once (the first load of its UUID), epoch-millisecond times as timestamptz.
with loaded_calls as (
    select distinct on (call_id)
        call_id,
        request_in_ms,
        record
    from {{ live_rows(source('xlog', 'calls')) }} as call_rows
    order by call_id asc, batch_id asc
)

select
    call_id,
    nullif(record ->> 'clientMember', '') as agency_id,
    to_timestamp(request_in_ms / 1000.0) as requested_at,
    nullif((record ->> 'responseOutTs')::bigint, 0) - request_in_ms as response_ms,
    (record ->> 'succeeded')::boolean as is_succeeded
from loaded_calls
