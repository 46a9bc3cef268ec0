-- Decision 766's 100 points: its five groups (the first part of an indicator's code) hold
-- 18 / 20 / 22 / 22 / 18 points, and every 766 indicator of the catalogue states its maximum.
-- A row is a group whose catalogue points differ from the Decision's, or an indicator without points.
with decision_groups (group_no, group_points) as (
    values (1, 18), (2, 20), (3, 22), (4, 22), (5, 18)
),

catalogue_groups as (
    select
        split_part(code, '.', 1)::int as group_no,
        sum(max_points) as catalogue_points,
        count(*) filter (where max_points is null) as unscored
    from {{ ref('indicator_catalogue') }}
    where framework = '766'
    group by split_part(code, '.', 1)::int
)

select
    coalesce(decision_groups.group_no, catalogue_groups.group_no) as group_no,
    decision_groups.group_points,
    catalogue_groups.catalogue_points,
    catalogue_groups.unscored
from decision_groups
full outer join catalogue_groups
    on decision_groups.group_no = catalogue_groups.group_no
where
    decision_groups.group_points is distinct from catalogue_groups.catalogue_points
    or coalesce(catalogue_groups.unscored, 0) > 0
