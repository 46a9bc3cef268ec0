-- Calls to the national population database as the integration platform's operational-monitoring
-- log recorded them, one row per call (message id, client, request time: message ids collide under
-- load); a call stored by two batches counts once. Times are epoch milliseconds in the source.
select distinct on (message_id, client, request_in_at)
    message_id,
    client,
    record ->> 'clientMemberCode' as client_member_code,
    nullif(record ->> 'clientSubsystemCode', '') as client_subsystem_code,
    record ->> 'serviceCode' as service_code,
    request_in_at,
    to_timestamp(nullif(record ->> 'responseOutTs', '')::bigint / 1000.0) as response_out_at,
    nullif(record ->> 'responseOutTs', '')::bigint - (record ->> 'requestInTs')::bigint as latency_ms,
    (record ->> 'succeeded')::boolean as is_succeeded,
    nullif(record ->> 'faultCode', '') as fault_code,
    nullif(record ->> 'statusCode', '')::integer as status_code,
    nullif(record ->> 'requestSize', '')::bigint as request_bytes,
    nullif(record ->> 'responseSize', '')::bigint as response_bytes
from {{ live_rows(source('population', 'calls')) }}
order by message_id asc, client asc, request_in_at asc, loaded_at desc, batch_id desc
