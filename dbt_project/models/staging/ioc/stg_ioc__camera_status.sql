-- Camera status transitions, one row per camera and moment (stored by two batches: once).
select distinct on (camera_id, changed_at)
    camera_id,
    changed_at,
    camera_state
from {{ live_rows(source('ioc', 'camera_status')) }}
order by camera_id asc, changed_at asc, loaded_at desc, batch_id desc
