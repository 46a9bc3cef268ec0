-- Covered years form one unbroken run: the running working-day index would be wrong across a gap.
with covered as (
    select calendar_year
    from {{ ref('calendar_coverage') }}
    where covered
)

select
    min(calendar_year) as first_year,
    max(calendar_year) as last_year,
    count(*) as covered_years
from covered
having count(*) > 0 and max(calendar_year) - min(calendar_year) + 1 <> count(*)
