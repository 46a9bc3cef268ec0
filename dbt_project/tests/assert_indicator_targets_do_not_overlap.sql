-- At most one target is in force for an indicator in any year.
select
    earlier.indicator_id,
    earlier.valid_from_year,
    later.valid_from_year as overlapping_from_year
from {{ ref('indicator_targets') }} as earlier
inner join {{ ref('indicator_targets') }} as later
    on
        earlier.indicator_id = later.indicator_id
        and earlier.valid_from_year < later.valid_from_year
        and coalesce(earlier.valid_to_year, 9999) >= later.valid_from_year
