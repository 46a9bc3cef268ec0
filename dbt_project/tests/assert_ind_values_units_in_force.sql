-- A commune or district row names a unit of government that existed then: in the historical view
-- a unit with a version in force during the period (so no district row for a period from 1 July
-- 2025 on, when the tier ended), in the current view a unit in force today (no closed unit).
with unit_rows as (
    select
        indicator_id,
        period_kind,
        period_start,
        (period_start + {{ period_length('period_kind') }})::date as period_end,
        level,
        view,  -- noqa: RF04
        unit_id
    from {{ ref('ind_values') }}
    where level in ('commune', 'district')
)

select
    unit_rows.indicator_id,
    unit_rows.period_kind,
    unit_rows.period_start,
    unit_rows.level,
    unit_rows.view,
    unit_rows.unit_id
from unit_rows
where not exists (
    select 1
    from {{ ref('admin_units') }} as units
    where
        units.unit_code = unit_rows.unit_id
        and units.unit_level = unit_rows.level
        and (
            (
                unit_rows.view = 'historical'
                and units.valid_from < unit_rows.period_end
                and coalesce(units.valid_to, 'infinity'::date) > unit_rows.period_start
            )
            or (unit_rows.view = 'current' and units.valid_to is null)
        )
)
