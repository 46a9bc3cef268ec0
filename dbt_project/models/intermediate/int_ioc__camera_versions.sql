-- The camera registry's history: one row per version of a camera, valid from the first time the
-- registry was seen in that state until it was seen in another (or without the camera).
{{ onestop_catalogue_versions(
    ref('stg_ioc__cameras'),
    'camera_id',
    [
        'camera_name', 'vendor', 'latitude', 'longitude', 'commune_code', 'agency_id', 'zones',
        'desk_id', 'installed_on', 'recorder_channel'
    ]
) }}
