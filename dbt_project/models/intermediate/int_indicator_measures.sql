{{ config(materialized='table') }}
-- Every computed indicator's measure per period (month, quarter, year) and unit, in long form: the
-- union of the macros named measure__<indicator> (dbt_project/macros/indicators/), each called
-- once per period kind, found by name at parse time, so adding an indicator needs no list here
-- and dbt still sees every ref the measures make. assert_indicator_catalogue_matches_measures ties
-- the macros to the catalogue's `measure` and `aggregate` columns.
-- Two shapes: an additive measure returns (indicator_id, period_start, agency_id, numerator,
-- denominator), and may add the unit of government of its records at their event time
-- (admin_unit_code, admin_unit_valid_from: fct_dossier's) for the commune and district rows; an
-- aggregate one (indicator_id, period_start, level, unit_id, numerator, denominator, value, and
-- scope and view when not 'area' and 'historical'). Each row is read through to_jsonb, so a column
-- a shape lacks is NULL.
{%- set measures = indicator_measures() %}
with
{%- for measure in measures %}
    {%- for kind in period_kinds() %}
        {{ measure }}__{{ kind }} as (
            {{ call_indicator_measure(measure, kind) | indent(12) }}
        ),
    {%- endfor %}
{%- endfor %}

measure_rows as (
    {%- for measure in measures %}
        {%- set outer_loop = loop %}
        {%- for kind in period_kinds() %}
            select
                '{{ measure }}'::text as measure,
                '{{ kind }}'::text as period_kind,
                to_jsonb(measured) as measured
            from {{ measure }}__{{ kind }} as measured
            {%- if not (loop.last and outer_loop.last) %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- else %}
        select
            null::text as measure,
            null::text as period_kind,
            null::jsonb as measured
        where false
    {%- endfor %}
)

select
    measured ->> 'indicator_id' as indicator_id,
    measure,
    period_kind,
    (measured ->> 'period_start')::date as period_start,
    coalesce(measured ->> 'level', 'agency') as level,
    coalesce(measured ->> 'scope', 'area') as scope,
    coalesce(measured ->> 'view', 'historical') as view,  -- noqa: RF04
    coalesce(measured ->> 'unit_id', measured ->> 'agency_id') as unit_id,
    measured ->> 'admin_unit_code' as admin_unit_code,
    (measured ->> 'admin_unit_valid_from')::date as admin_unit_valid_from,
    (measured ->> 'numerator')::numeric as numerator,
    (measured ->> 'denominator')::numeric as denominator,
    (measured ->> 'value')::numeric as value,  -- noqa: RF04
    measured ? 'value' as is_aggregate
from measure_rows
