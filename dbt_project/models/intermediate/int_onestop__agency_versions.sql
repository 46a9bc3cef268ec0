-- The agency catalogue's history: one row per version of an agency, valid from the first time
-- the catalogue was seen in that state until it was seen in another (or without the agency).
{{ onestop_catalogue_versions(
    ref('stg_onestop__agencies'),
    'agency_id',
    ['agency_name', 'agency_level_code', 'parent_agency_id', 'admin_unit_code', 'source_updated_at']
) }}
