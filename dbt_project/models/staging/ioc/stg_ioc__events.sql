-- Frigate events, one row per event, folded from its messages (a message stored by two batches
-- counts once): when it started and as it last stood, whether an `end` came, its zones and best
-- score. Times are epoch seconds (UTC) in the source.
with messages as (
    select distinct on (event_id, frame_at)
        event_id,
        frame_at,
        message_type,
        record
    from {{ live_rows(source('ioc', 'events')) }}
    order by event_id asc, frame_at asc, loaded_at desc, batch_id desc
),

folded as (
    select
        event_id,
        count(*) as message_count,
        min(frame_at) as first_seen_at,
        max(frame_at) as last_seen_at,
        bool_or(message_type = 'end') as has_end,
        max({{ onestop_number("record ->> 'top_score'") }}) as top_score
    from messages
    group by event_id
),

latest as (
    select distinct on (event_id)
        event_id,
        record
    from messages
    order by event_id asc, frame_at desc
)

select
    folded.event_id,
    latest.record ->> 'camera' as camera_id,
    nullif(latest.record ->> 'label', '') as detected_label,
    nullif(latest.record ->> 'entered_zones', '') as entered_zones,
    to_timestamp((latest.record ->> 'start_time')::double precision) as started_at,
    to_timestamp(nullif(latest.record ->> 'end_time', '')::double precision) as ended_at,
    folded.first_seen_at,
    folded.last_seen_at,
    folded.has_end,
    folded.message_count,
    folded.top_score,
    coalesce((latest.record ->> 'false_positive')::boolean, false) as is_false_positive
from folded
inner join latest
    on folded.event_id = latest.event_id
