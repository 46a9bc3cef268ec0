-- The commune and district rows a record counts in, per period: for an agency in a unit version
-- of government (the unit valid at the record's event time, int_agency_units, or the unit a
-- measure places the record in), the units of each
-- level, scope and view it belongs to in each reporting period.
--   historical: the version itself when in force during the period, else the first version it
--     became (crosswalk) that is; its district is itself or its parent when that is a district.
--   current: the version in force today it became (int_admin_units__successors).
--   area rows take every record of the unit and the units under it; tier rows only those of
--     agencies whose tier (onestop_agency_levels) is the unit's level, in the unit itself.
-- Province rows are not here: they are keyed by the agencies' level-1 code (agency_province).
with agency_tiers as (
    select distinct on (agency_id)
        agency_id,
        tier
    from {{ ref('dim_agency') }}
    order by agency_id asc, valid_from desc
),

-- the units agencies belong to, and those a measure places an agency's records in (a camera's
-- or a field report's commune, not the agency's own unit)
agency_unit_versions as (
    select distinct
        agency_id,
        admin_unit_code,
        unit_valid_from
    from {{ ref('int_agency_units') }}
    union
    select distinct
        unit_id as agency_id,
        admin_unit_code,
        admin_unit_valid_from as unit_valid_from
    from {{ ref('int_indicator_measures') }}
    where level = 'agency' and admin_unit_code is not null and admin_unit_valid_from is not null
),

periods as (
    select distinct
        period_kind,
        period_start,
        (period_start + {{ period_length('period_kind') }})::date as period_end
    from {{ ref('int_reporting_periods') }}
),

-- a code is never reused, so its level and a parent's level are those of any of its versions
code_levels as (
    select distinct
        unit_code,
        unit_level
    from {{ ref('admin_units') }}
),

historical_versions as (
    select distinct on (
        agency_unit_versions.agency_id,
        agency_unit_versions.admin_unit_code,
        agency_unit_versions.unit_valid_from,
        periods.period_kind,
        periods.period_start
    )
        agency_unit_versions.agency_id,
        agency_unit_versions.admin_unit_code,
        agency_unit_versions.unit_valid_from,
        periods.period_kind,
        periods.period_start,
        lineage.reached_code as unit_code,
        lineage.reached_valid_from as unit_valid_from_then
    from agency_unit_versions
    cross join periods
    inner join {{ ref('int_admin_units__lineage') }} as lineage
        on
            agency_unit_versions.admin_unit_code = lineage.unit_code
            and agency_unit_versions.unit_valid_from = lineage.valid_from
            and periods.period_end > lineage.reached_valid_from
            and periods.period_start < coalesce(lineage.reached_valid_to, 'infinity'::date)
    order by
        agency_unit_versions.agency_id,
        agency_unit_versions.admin_unit_code,
        agency_unit_versions.unit_valid_from,
        periods.period_kind,
        periods.period_start,
        lineage.steps
),

current_versions as (
    select
        agency_unit_versions.agency_id,
        agency_unit_versions.admin_unit_code,
        agency_unit_versions.unit_valid_from,
        periods.period_kind,
        periods.period_start,
        successors.current_unit_code as unit_code,
        successors.current_valid_from as unit_valid_from_then
    from agency_unit_versions
    cross join periods
    inner join {{ ref('int_admin_units__successors') }} as successors
        on
            agency_unit_versions.admin_unit_code = successors.unit_code
            and agency_unit_versions.unit_valid_from = successors.valid_from
),

versions_by_view as (
    select
        *,
        'historical' as view  -- noqa: RF04
    from historical_versions
    union all
    select
        *,
        'current' as view  -- noqa: RF04
    from current_versions
),

-- the unit version a record belongs to in the view, and the district above it
placed as (
    select
        versions_by_view.agency_id,
        versions_by_view.admin_unit_code,
        versions_by_view.unit_valid_from,
        versions_by_view.period_kind,
        versions_by_view.period_start,
        versions_by_view.view,
        versions_by_view.unit_code,
        units.unit_level,
        units.parent_code,
        parents.unit_level as parent_level,
        agency_tiers.tier
    from versions_by_view
    inner join {{ ref('admin_units') }} as units
        on
            versions_by_view.unit_code = units.unit_code
            and versions_by_view.unit_valid_from_then = units.valid_from
    left join code_levels as parents
        on units.parent_code = parents.unit_code
    left join agency_tiers
        on versions_by_view.agency_id = agency_tiers.agency_id
),

memberships as (
    -- the unit itself, in area and, for an agency of its tier, in tier
    select
        placed.agency_id,
        placed.admin_unit_code,
        placed.unit_valid_from,
        placed.period_kind,
        placed.period_start,
        placed.view,
        placed.unit_level as level,  -- noqa: RF04
        scopes.scope,
        placed.unit_code as unit_id
    from placed
    cross join (values ('area'), ('tier')) as scopes (scope)
    where
        placed.unit_level in ('commune', 'district')
        and (scopes.scope = 'area' or placed.tier = placed.unit_level)
    union all
    -- its district, in area
    select
        agency_id,
        admin_unit_code,
        unit_valid_from,
        period_kind,
        period_start,
        view,
        'district' as level,  -- noqa: RF04
        'area' as scope,
        parent_code as unit_id
    from placed
    where unit_level = 'commune' and parent_level = 'district'
)

select
    agency_id,
    admin_unit_code,
    unit_valid_from as admin_unit_valid_from,
    period_kind,
    period_start,
    level,
    scope,
    view,  -- noqa: RF04
    unit_id
from memberships
