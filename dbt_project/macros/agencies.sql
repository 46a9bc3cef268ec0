{#- What an agency was when a fact happened, as the facts of every source read it. -#}

{#- `column` (admin_unit_code or unit_valid_from) of the unit of government `agency_id` belonged to
    at `moment` (int_agency_units); null for an agency the catalogue does not know. -#}
{% macro agency_unit_at(agency_id, moment, column) -%}
    (
        select agency_units.{{ column }}
        from {{ ref('int_agency_units') }} as agency_units
        where
            agency_units.agency_id = {{ agency_id }}
            and {{ moment }} >= agency_units.valid_from
            and {{ moment }} < agency_units.valid_to
        order by agency_units.valid_from desc
        limit 1
    )
{%- endmacro %}

{#- True when `agency_id` is one of the province's agencies: its level-1 code (H57 …) is one the
    agency catalogue holds; false for a ministry's or another province's. -#}
{% macro is_province_agency(agency_id) -%}
    coalesce({{ agency_province(agency_id) }} in (
        select distinct {{ agency_province('catalogue_agencies.agency_id') }}
        from {{ ref('dim_agency') }} as catalogue_agencies
    ), false)
{%- endmacro %}

{#- The installation's province as agency ids name it (their level-1 code, H57 …): the unit_id of a
    province row an aggregate measure gives without an agency to read it from. -#}
{% macro installation_province_id() -%}
    (
        select min({{ agency_province('own_agencies.agency_id') }})
        from {{ ref('dim_agency') }} as own_agencies
        where own_agencies.admin_unit_level is not null
    )
{%- endmacro %}
