-- Units of government of the installation's province (var province_code) with their history (one
-- row per version) and the unit in force today that each became through the crosswalk: the
-- province's own, and those of a province merged into it; a seed listing others keeps them out.
select
    admin_units.unit_code,
    admin_units.valid_from,
    admin_units.valid_to,
    admin_units.valid_to is null as is_current,
    admin_units.unit_level,
    admin_units.unit_name,
    admin_units.parent_code,
    admin_units.province_code,
    {{ local_midnight('admin_units.valid_from') }} as valid_from_at,
    {{ local_midnight('admin_units.valid_to') }} as valid_to_at,
    successors.current_unit_code,
    current_units.unit_level as current_unit_level,
    current_units.unit_name as current_unit_name,
    admin_units.note
from {{ ref('admin_units') }} as admin_units
left join {{ ref('int_admin_units__successors') }} as successors
    on
        admin_units.unit_code = successors.unit_code
        and admin_units.valid_from = successors.valid_from
left join {{ ref('admin_units') }} as current_units
    on
        successors.current_unit_code = current_units.unit_code
        and successors.current_valid_from = current_units.valid_from
where coalesce(current_units.province_code, admin_units.province_code) = '{{ var("province_code") }}'
