-- Hikvision alerts, one row per alert (an alert stored by two batches counts once), the
-- recorder's channel as the camera registry names it (ip/channel) and the values the facts read.
select distinct on (camera_key, alert_at, event_type, event_state)
    camera_key,
    alert_at,
    event_type,
    event_state,
    {{ onestop_number("record ->> 'confidence'") }} as confidence,
    {{ onestop_code("record ->> 'ANPR_illegalType'") }} as illegal_type,
    {{ onestop_number("record ->> 'ANPR_confidenceLevel'") }} as plate_confidence,
    {{ onestop_number("record ->> 'PeopleCounting_peopleNumber'") }} as people_counted
from {{ live_rows(source('ioc', 'alerts')) }}
order by camera_key asc, alert_at asc, event_type asc, event_state asc, loaded_at desc, batch_id desc
