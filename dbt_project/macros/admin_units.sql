{#- `valid_from` of the version of unit of government `unit_code` in force on local date `day`
    (dim_admin_unit); null for a code the seed does not hold then. -#}
{% macro unit_valid_from_at(unit_code, day) -%}
    (
        select units.valid_from
        from {{ ref('dim_admin_unit') }} as units
        where
            units.unit_code = {{ unit_code }}
            and {{ day }} >= units.valid_from
            and (units.valid_to is null or {{ day }} < units.valid_to)
        order by units.valid_from desc
        limit 1
    )
{%- endmacro %}
