-- Every stored state of every camera of the registry, tombstones included, renamed and cast. The
-- history (one row per version) is int_ioc__camera_versions.
select
    camera_id,
    nullif(record ->> 'name', '') as camera_name,
    {{ onestop_code("record ->> 'vendor'") }} as vendor,
    {{ onestop_number("record ->> 'lat'") }} as latitude,
    {{ onestop_number("record ->> 'lon'") }} as longitude,
    {{ onestop_code("record ->> 'ward_code'") }} as commune_code,
    {{ onestop_code("record ->> 'agency_id'") }} as agency_id,
    nullif(record ->> 'zones', '') as zones,
    {{ onestop_code("record ->> 'desk_id'") }} as desk_id,
    {{ local_date(onestop_ts("record ->> 'installed'")) }} as installed_on,
    {{ onestop_code("record ->> 'ip_address'") }} || '/' || {{ onestop_code("record ->> 'channel_id'") }}
        as recorder_channel,
    record_hash,
    is_deleted,
    observed_at,
    batch_id,
    loaded_at
from {{ live_rows(source('ioc', 'cameras')) }}
