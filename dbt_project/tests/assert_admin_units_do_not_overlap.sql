-- At most one version of a unit code is in force on any day.
select
    earlier.unit_code,
    earlier.valid_from,
    later.valid_from as overlapping_from
from {{ ref('admin_units') }} as earlier
inner join {{ ref('admin_units') }} as later
    on
        earlier.unit_code = later.unit_code
        and earlier.valid_from < later.valid_from
        and coalesce(earlier.valid_to, 'infinity'::date) > later.valid_from
