-- Camera incidents per local day, camera and event type (what bi gets of fct_camera_event, which
-- keeps one row per incident): incidents, false positives, those closed by the timeout and those
-- still open, and their median duration.
select
    {{ local_date('events.started_at') }} as event_date,
    events.camera_id,
    events.vendor,
    events.agency_id,
    events.commune_code,
    events.event_type,
    count(*) filter (where not events.is_false_positive) as incidents,
    count(*) filter (where events.is_false_positive) as false_positives,
    count(*) filter (where events.is_closed_by_timeout) as closed_by_timeout,
    count(*) filter (where events.ended_at is null) as still_open,
    percentile_cont(0.5) within group (
        order by events.duration_seconds
    ) filter (where not events.is_false_positive) as median_duration_seconds
from {{ ref('fct_camera_event') }} as events
group by
    {{ local_date('events.started_at') }},
    events.camera_id,
    events.vendor,
    events.agency_id,
    events.commune_code,
    events.event_type
