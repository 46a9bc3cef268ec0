-- Every unit below a province names a parent in force when its version starts, in its province.
select
    children.unit_code,
    children.valid_from,
    children.parent_code
from {{ ref('admin_units') }} as children
where
    children.unit_level <> 'province'
    and not exists (
        select 1
        from {{ ref('admin_units') }} as parents
        where
            parents.unit_code = children.parent_code
            and parents.province_code = children.province_code
            and parents.valid_from <= children.valid_from
            and coalesce(parents.valid_to, 'infinity'::date) > children.valid_from
    )
union all
select
    unit_code,
    valid_from,
    province_code as parent_code
from {{ ref('admin_units') }}
where unit_level = 'province' and province_code <> unit_code
