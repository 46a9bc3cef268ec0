-- The catalogue's `measure` column and the measure macros (dbt_project/macros/indicators/) agree:
-- every measure the catalogue names exists, every measure macro is named by exactly one catalogue
-- row, and a computed indicator says which sources it needs. Lists the disagreements.
{%- set measures = indicator_measures() %}
with defined_measures as (
    {%- for measure in measures %}
        select '{{ measure }}'::text as measure
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- else %}
        select null::text as measure
        where false
    {%- endfor %}
),

catalogued_measures as (
    select
        indicator_id,
        measure,
        sources
    from {{ ref('indicator_catalogue') }}
    where measure is not null
),

measure_uses as (
    select
        measure,
        count(*) as catalogue_rows
    from catalogued_measures
    group by measure
)

select
    coalesce(defined_measures.measure, catalogued_measures.measure) as measure,
    catalogued_measures.indicator_id,
    case
        when defined_measures.measure is null then 'the catalogue names a measure macro that does not exist'
        when catalogued_measures.measure is null then 'no catalogue row names this measure macro'
        when measure_uses.catalogue_rows > 1 then 'several catalogue rows name this measure macro'
        else 'a computed indicator lists no sources'
    end as problem
from defined_measures
full outer join catalogued_measures
    on defined_measures.measure = catalogued_measures.measure
left join measure_uses
    on catalogued_measures.measure = measure_uses.measure
where
    defined_measures.measure is null
    or catalogued_measures.measure is null
    or measure_uses.catalogue_rows > 1
    or nullif(btrim(catalogued_measures.sources), '') is null
