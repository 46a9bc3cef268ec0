-- At most one target is in force for an indicator, level and year; a target for 'all' levels
-- applies to every row, so it overlaps any other target of its indicator in the same years.
select
    earlier.indicator_id,
    earlier.level,
    earlier.valid_from_year,
    later.level as overlapping_level,
    later.valid_from_year as overlapping_from_year
from {{ ref('indicator_targets') }} as earlier
inner join {{ ref('indicator_targets') }} as later
    on
        earlier.indicator_id = later.indicator_id
        and (earlier.valid_from_year, earlier.level) < (later.valid_from_year, later.level)
        and earlier.valid_from_year <= coalesce(later.valid_to_year, 9999)
        and later.valid_from_year <= coalesce(earlier.valid_to_year, 9999)
        and (earlier.level = 'all' or later.level = 'all' or earlier.level = later.level)
