-- Each version of a unit of government with the unit in force today that it became, following
-- the crosswalk through every change (A → B → C); a unit still in force is its own successor.
select
    unit_code,
    valid_from,
    reached_code as current_unit_code,
    reached_valid_from as current_valid_from,
    steps as changes
from {{ ref('int_admin_units__lineage') }}
where reached_valid_to is null
