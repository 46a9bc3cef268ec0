-- One row per camera incident, both vendors in one model: a Frigate event (folded from its
-- messages) or a Hikvision incident (an `active` alert, ended by the next `inactive` of the same
-- recorder channel and type; heartbeats dropped). Each gets one of the event types of seed
-- ioc_event_types. An incident whose end never came is closed at the last moment it was seen
-- once var ioc_event_timeout_minutes passed without news (by the latest time the vendor's feed
-- reached), and marked so. The audit side: bi gets fct_camera_event__day.
with timeout as (
    select make_interval(mins => {{ var('ioc_event_timeout_minutes') }}) as span
),

frigate_reached as (
    select max(last_seen_at) as reached_at
    from {{ ref('stg_ioc__events') }}
),

frigate as (
    select
        events.event_id,
        events.camera_id,
        events.detected_label as native_type,
        events.entered_zones,
        events.started_at,
        events.last_seen_at,
        events.ended_at,
        events.has_end,
        events.top_score as confidence,
        events.is_false_positive,
        events.last_seen_at + timeout.span <= frigate_reached.reached_at as is_stale
    from {{ ref('stg_ioc__events') }} as events
    cross join timeout
    cross join frigate_reached
),

-- a label in a zone the seed names (the zone's row first), else the label's row, else motion
frigate_typed as (
    select
        'frigate' as vendor,
        frigate.event_id,
        frigate.camera_id,
        frigate.native_type,
        coalesce(labels.event_type, 'motion') as event_type,
        labels.sub_type,
        frigate.started_at,
        case
            when frigate.has_end then coalesce(frigate.ended_at, frigate.last_seen_at)
            when frigate.is_stale then frigate.last_seen_at
        end as ended_at,
        not frigate.has_end and frigate.is_stale as is_closed_by_timeout,
        frigate.confidence,
        frigate.is_false_positive
    from frigate
    left join lateral (
        select
            seeded.event_type,
            seeded.sub_type
        from {{ ref('ioc_frigate_labels') }} as seeded
        where
            seeded.label = frigate.native_type
            and (seeded.zone is null or seeded.zone = any(string_to_array(frigate.entered_zones, ',')))
        order by seeded.zone is null asc
        limit 1
    ) as labels on true
),

alerts as (
    select
        alerts.camera_key,
        alerts.alert_at,
        alerts.event_type as native_type,
        alerts.event_state,
        alerts.confidence,
        alerts.illegal_type,
        alerts.plate_confidence,
        kinds.event_type as mapped_type
    from {{ ref('stg_ioc__alerts') }} as alerts
    left join {{ ref('ioc_hikvision_event_types') }} as kinds
        on alerts.event_type = kinds.hikvision_event_type
    where not coalesce(kinds.is_heartbeat, false)
),

hikvision_reached as (
    select max(alert_at) as reached_at
    from alerts
),

sequenced as (
    select
        alerts.*,
        lead(alerts.event_state) over incident as next_state,
        lead(alerts.alert_at) over incident as next_at
    from alerts
    window incident as (partition by alerts.camera_key, alerts.native_type order by alerts.alert_at)
),

hikvision_typed as (
    select
        'hikvision' as vendor,
        sequenced.camera_key || '|' || sequenced.native_type || '|' || to_char(
            sequenced.alert_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
        ) as event_id,
        -- a recorder channel the registry does not know is a camera of its own, marked unknown
        coalesce(cameras.camera_id, 'hikvision:' || sequenced.camera_key) as camera_id,
        sequenced.native_type,
        case
            when sequenced.native_type = 'ANPR' and coalesce(sequenced.illegal_type, 'none') = 'none' then 'motion'
            else coalesce(sequenced.mapped_type, 'motion')
        end as event_type,
        case when sequenced.native_type = 'ANPR' and sequenced.illegal_type <> 'none' then sequenced.illegal_type end
            as sub_type,
        sequenced.alert_at as started_at,
        case
            when sequenced.next_state = 'inactive' then sequenced.next_at
            when sequenced.alert_at + timeout.span <= hikvision_reached.reached_at then sequenced.alert_at
        end as ended_at,
        coalesce(sequenced.next_state, '') <> 'inactive'
        and sequenced.alert_at + timeout.span <= hikvision_reached.reached_at as is_closed_by_timeout,
        coalesce(sequenced.confidence, sequenced.plate_confidence) / 100.0 as confidence,
        false as is_false_positive
    from sequenced
    cross join timeout
    cross join hikvision_reached
    left join {{ ref('dim_camera') }} as cameras
        on sequenced.camera_key = cameras.recorder_channel
    where sequenced.event_state = 'active'
),

incidents as (
    select * from frigate_typed
    union all
    select * from hikvision_typed
)

select
    incidents.event_id,
    incidents.vendor,
    incidents.camera_id,
    cameras.camera_id is not null as is_camera_known,
    cameras.agency_id,
    cameras.commune_code,
    incidents.native_type,
    incidents.event_type,
    incidents.sub_type,
    incidents.started_at,
    incidents.ended_at,
    incidents.is_closed_by_timeout,
    extract(epoch from incidents.ended_at - incidents.started_at)::integer as duration_seconds,
    incidents.confidence,
    incidents.is_false_positive
from incidents
left join {{ ref('dim_camera') }} as cameras
    on incidents.camera_id = cameras.camera_id
