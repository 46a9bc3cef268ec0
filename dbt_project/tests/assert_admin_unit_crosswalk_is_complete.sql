-- Each ended unit version has exactly one successor, and each crosswalk row joins both sides.
with ended_versions as (
    select
        unit_code,
        valid_to
    from {{ ref('admin_units') }}
    where valid_to is not null
),

successor_counts as (
    select
        ended_versions.unit_code,
        ended_versions.valid_to,
        count(crosswalk.new_unit_code) as successors
    from ended_versions
    left join {{ ref('admin_unit_crosswalk') }} as crosswalk
        on
            ended_versions.unit_code = crosswalk.old_unit_code
            and ended_versions.valid_to = crosswalk.old_valid_to
    group by ended_versions.unit_code, ended_versions.valid_to
),

unmatched_rows as (
    select
        crosswalk.old_unit_code as unit_code,
        crosswalk.old_valid_to as valid_to,
        case
            when not exists (
                select 1
                from ended_versions
                where
                    ended_versions.unit_code = crosswalk.old_unit_code
                    and ended_versions.valid_to = crosswalk.old_valid_to
            ) then 'no unit version ends on old_valid_to'
            else 'no successor version valid on old_valid_to'
        end as problem
    from {{ ref('admin_unit_crosswalk') }} as crosswalk
    where
        not exists (
            select 1
            from ended_versions
            where
                ended_versions.unit_code = crosswalk.old_unit_code
                and ended_versions.valid_to = crosswalk.old_valid_to
        )
        or not exists (
            select 1
            from {{ ref('admin_units') }} as successors
            where
                successors.unit_code = crosswalk.new_unit_code
                and successors.valid_from <= crosswalk.old_valid_to
                and coalesce(successors.valid_to, 'infinity'::date) > crosswalk.old_valid_to
        )
)

select
    unit_code,
    valid_to,
    successors || ' successors' as problem
from successor_counts
where successors <> 1
union all
select
    unit_code,
    valid_to,
    problem
from unmatched_rows
