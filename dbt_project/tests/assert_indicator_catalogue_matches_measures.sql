-- The catalogue's `measure` column and the measure macros (dbt_project/macros/indicators/) agree:
-- every measure the catalogue names exists, every measure macro is named by exactly one catalogue
-- row, a computed indicator says which sources it needs, and a measure returns the shape its
-- catalogue row declares (a value per level when `aggregate`, else an additive numerator and
-- denominator per agency). Lists the disagreements.
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
),

shape_mismatches as (
    select distinct
        measured.measure,
        measured.indicator_id,
        case
            when catalogue.aggregate then 'an aggregate indicator whose measure returns no value column'
            else 'an additive indicator whose measure returns a value column (declare it aggregate)'
        end as problem
    from {{ ref('int_indicator_measures') }} as measured
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on measured.indicator_id = catalogue.indicator_id
    where measured.is_aggregate <> catalogue.aggregate
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
union all
select
    measure,
    indicator_id,
    problem
from shape_mismatches
