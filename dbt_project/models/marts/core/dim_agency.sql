-- Agencies of the one-stop-shop catalogue with their history: one row per version.
select
    agency_versions.agency_id,
    agency_versions.valid_from,
    agency_versions.valid_to,
    agency_versions.is_current,
    agency_versions.agency_name,
    agency_versions.agency_level_code,
    -- a level code not in the code list is published as 'unknown', never as a real level
    coalesce(agency_levels.agency_level, 'unknown') as agency_level,
    agency_versions.parent_agency_id,
    agency_versions.admin_unit_code,
    agency_versions.source_updated_at
from {{ ref('int_onestop__agency_versions') }} as agency_versions
left join {{ ref('onestop_agency_levels') }} as agency_levels
    on agency_versions.agency_level_code = agency_levels.agency_level_code
