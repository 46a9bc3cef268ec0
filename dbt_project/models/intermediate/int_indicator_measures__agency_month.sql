{{ config(materialized='table') }}
-- Every computed indicator's measure per agency and month, in long form: the union of the macros
-- named measure__<indicator> (dbt_project/macros/indicators/), found by name at parse time, so
-- adding an indicator needs no list here and dbt still sees every ref the measures make.
-- assert_indicator_catalogue_matches_measures ties the macros to the catalogue's `measure` column.
{%- set measures = indicator_measures() %}
with
{%- for measure in measures %}
    {{ measure }} as (
        {{ call_indicator_measure(measure) | indent(8) }}
    ),
{%- endfor %}

measured as (
    {%- for measure in measures %}
        select
            indicator_id::text as indicator_id,
            '{{ measure }}'::text as measure,
            period_month::date as period_month,
            agency_id::text as agency_id,
            numerator::numeric as numerator,
            denominator::numeric as denominator
        from {{ measure }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- else %}
        select
            null::text as indicator_id,
            null::text as measure,
            null::date as period_month,
            null::text as agency_id,
            null::numeric as numerator,
            null::numeric as denominator
        where false
    {%- endfor %}
)

select
    indicator_id,
    measure,
    period_month,
    agency_id,
    numerator,
    denominator
from measured
