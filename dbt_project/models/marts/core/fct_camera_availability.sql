-- Minutes each camera was up, per camera and local day the IOC's feeds cover, from its status
-- transitions: a camera is up from its installation until a transition says offline, and again
-- from the next online (a repeated state changes nothing). Before its first transition a camera
-- counts as up (the feed reports changes; an outage begun before the first pull is not seen).
with cameras as (
    select
        camera_id,
        agency_id,
        commune_code,
        installed_on
    from {{ ref('dim_camera') }}
),

covered_days as (
    select distinct covered_date
    from {{ ref('int_source_coverage__days') }}
    where source_name = 'ioc'
),

transitions as (
    select
        camera_id,
        changed_at,
        camera_state,
        lead(changed_at) over (partition by camera_id order by changed_at) as next_changed_at
    from {{ ref('stg_ioc__camera_status') }}
),

first_changes as (
    select
        camera_id,
        min(changed_at) as first_changed_at
    from transitions
    group by camera_id
),

-- stretches of one state: from the installation to the first transition (up), then each transition's
spans as (
    select
        cameras.camera_id,
        {{ local_midnight('cameras.installed_on') }} as span_start,
        coalesce(first_changes.first_changed_at, 'infinity'::timestamptz) as span_end,
        true as is_up
    from cameras
    left join first_changes
        on cameras.camera_id = first_changes.camera_id
    union all
    select
        transitions.camera_id,
        transitions.changed_at as span_start,
        coalesce(transitions.next_changed_at, 'infinity'::timestamptz) as span_end,
        states.is_up
    from transitions
    inner join {{ ref('ioc_camera_states') }} as states
        on transitions.camera_state = states.camera_state
),

camera_days as (
    select
        cameras.camera_id,
        cameras.agency_id,
        cameras.commune_code,
        covered_days.covered_date as availability_date,
        greatest(
            {{ local_midnight('covered_days.covered_date') }}, {{ local_midnight('cameras.installed_on') }}
        ) as day_start,
        {{ local_midnight('covered_days.covered_date + 1') }} as day_end
    from cameras
    inner join covered_days
        on cameras.installed_on <= covered_days.covered_date
),

day_spans as (
    select
        camera_days.camera_id,
        camera_days.agency_id,
        camera_days.commune_code,
        camera_days.availability_date,
        camera_days.day_start,
        camera_days.day_end,
        spans.is_up,
        least(spans.span_end, camera_days.day_end) - greatest(spans.span_start, camera_days.day_start) as span_in_day
    from camera_days
    left join spans
        on
            camera_days.camera_id = spans.camera_id
            and camera_days.day_end > spans.span_start
            and camera_days.day_start < spans.span_end
)

select
    camera_id,
    agency_id,
    commune_code,
    availability_date,
    round(extract(epoch from day_end - day_start) / 60, 2) as minutes_in_service,
    round(coalesce(sum(extract(epoch from span_in_day)) filter (where is_up), 0) / 60, 2) as minutes_up
from day_spans
group by camera_id, agency_id, commune_code, availability_date, day_start, day_end
