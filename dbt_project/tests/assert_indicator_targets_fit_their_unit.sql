-- A target is in its indicator's unit: a ratio target lies in 0–1, any other is not negative.
select
    targets.indicator_id,
    targets.valid_from_year,
    targets.target,
    catalogue.unit
from {{ ref('indicator_targets') }} as targets
inner join {{ ref('indicator_catalogue') }} as catalogue
    on targets.indicator_id = catalogue.indicator_id
where targets.target < 0 or (catalogue.unit = 'ratio' and targets.target > 1)
