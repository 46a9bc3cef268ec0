-- Agencies of the one-stop-shop catalogue with their history: one row per version, with the
-- unit of government it belongs to (the latest unit version of its code in that agency version;
-- the unit at any moment is int_agency_units).
with agency_unit_versions as (
    select distinct on (agency_id, admin_unit_code)
        agency_id,
        admin_unit_code,
        unit_valid_from
    from {{ ref('int_agency_units') }}
    order by agency_id asc, admin_unit_code asc, unit_valid_from desc
)

select
    agency_versions.agency_id,
    agency_versions.valid_from,
    agency_versions.valid_to,
    agency_versions.is_current,
    agency_versions.agency_name,
    agency_versions.agency_level_code,
    -- a level code not in the code list is published as 'unknown', never as a real level
    coalesce(agency_levels.agency_level, 'unknown') as agency_level,
    agency_levels.tier,
    agency_versions.parent_agency_id,
    agency_versions.admin_unit_code,
    admin_units.unit_level as admin_unit_level,
    admin_units.unit_name as admin_unit_name,
    admin_units.valid_to_at as admin_unit_closed_at,
    -- the agency works until its catalogue version ends or its unit of government closes for good
    least(agency_versions.valid_to, admin_units.valid_to_at) as active_until,
    admin_units.current_unit_code,
    agency_versions.source_updated_at
from {{ ref('int_onestop__agency_versions') }} as agency_versions
left join {{ ref('onestop_agency_levels') }} as agency_levels
    on agency_versions.agency_level_code = agency_levels.agency_level_code
left join agency_unit_versions
    on
        agency_versions.agency_id = agency_unit_versions.agency_id
        and agency_versions.admin_unit_code = agency_unit_versions.admin_unit_code
left join {{ ref('dim_admin_unit') }} as admin_units
    on
        agency_unit_versions.admin_unit_code = admin_units.unit_code
        and agency_unit_versions.unit_valid_from = admin_units.valid_from
