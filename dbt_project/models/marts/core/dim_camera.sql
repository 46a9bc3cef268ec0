-- The cameras of the registry as last seen, one row per camera (a camera that left the registry
-- keeps its last version: its events still name it), with the commune it stands in.
with latest as (
    select distinct on (camera_id)
        camera_id,
        camera_name,
        vendor,
        latitude,
        longitude,
        commune_code,
        agency_id,
        zones,
        desk_id,
        installed_on,
        recorder_channel,
        is_current
    from {{ ref('int_ioc__camera_versions') }}
    order by camera_id asc, valid_from desc
),

communes as (
    select distinct on (unit_code)
        unit_code,
        unit_name
    from {{ ref('dim_admin_unit') }}
    where unit_level = 'commune'
    order by unit_code asc, valid_from desc
)

select
    latest.camera_id,
    latest.camera_name,
    latest.vendor,
    latest.latitude,
    latest.longitude,
    latest.commune_code,
    communes.unit_name as commune_name,
    latest.agency_id,
    latest.zones,
    latest.desk_id,
    latest.desk_id is not null as is_desk_camera,
    latest.installed_on,
    latest.recorder_channel,
    latest.is_current as is_in_registry
from latest
left join communes
    on latest.commune_code = communes.unit_code
