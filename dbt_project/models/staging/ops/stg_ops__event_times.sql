-- How far each cursor or queue entity has loaded in event time (ops.watermarks, moved with its batches).
select
    source as source_name,
    entity as entity_name,
    event_time_from,
    event_time
from {{ source('ops', 'watermarks') }}
where event_time is not null
