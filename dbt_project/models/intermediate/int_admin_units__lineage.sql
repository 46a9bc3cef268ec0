-- Each version of a unit of government with every version it became through the crosswalk
-- (A → B → C), itself included at step 0: the unit a closed version's records belong to in a
-- later period (the first reached version in force then) and today (the one still in force).
with recursive lineage as (
    select
        unit_code,
        valid_from,
        unit_code as reached_code,
        valid_from as reached_valid_from,
        valid_to as reached_valid_to,
        0 as steps
    from {{ ref('admin_units') }}
    union all
    select
        lineage.unit_code,
        lineage.valid_from,
        next_units.unit_code as reached_code,
        next_units.valid_from as reached_valid_from,
        next_units.valid_to as reached_valid_to,
        lineage.steps + 1 as steps
    from lineage
    inner join {{ ref('admin_unit_crosswalk') }} as crosswalk
        on
            lineage.reached_code = crosswalk.old_unit_code
            and lineage.reached_valid_to = crosswalk.old_valid_to
    inner join {{ ref('admin_units') }} as next_units
        on
            crosswalk.new_unit_code = next_units.unit_code
            and crosswalk.old_valid_to >= next_units.valid_from
            and crosswalk.old_valid_to < coalesce(next_units.valid_to, 'infinity'::date)
    -- a loop in a bad crosswalk stops here instead of running for ever
    where lineage.steps < 100
)

select
    unit_code,
    valid_from,
    reached_code,
    reached_valid_from,
    reached_valid_to,
    steps
from lineage
