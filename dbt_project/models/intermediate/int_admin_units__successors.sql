-- Each version of a unit of government with the unit in force today that it became, following
-- the crosswalk through every change (A → B → C); a unit still in force is its own successor.
with recursive successor_chain as (
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
        successor_chain.unit_code,
        successor_chain.valid_from,
        next_units.unit_code as reached_code,
        next_units.valid_from as reached_valid_from,
        next_units.valid_to as reached_valid_to,
        successor_chain.steps + 1 as steps
    from successor_chain
    inner join {{ ref('admin_unit_crosswalk') }} as crosswalk
        on
            successor_chain.reached_code = crosswalk.old_unit_code
            and successor_chain.reached_valid_to = crosswalk.old_valid_to
    inner join {{ ref('admin_units') }} as next_units
        on
            crosswalk.new_unit_code = next_units.unit_code
            and crosswalk.old_valid_to >= next_units.valid_from
            and crosswalk.old_valid_to < coalesce(next_units.valid_to, 'infinity'::date)
    -- a loop in a bad crosswalk stops here instead of running for ever
    where successor_chain.steps < 100
)

select
    unit_code,
    valid_from,
    reached_code as current_unit_code,
    reached_valid_from as current_valid_from,
    steps as changes
from successor_chain
where reached_valid_to is null
