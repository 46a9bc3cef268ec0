{#-
    VB-01 median handling time of documents received, in working days from their arrival at the
    receiving agency (status 01) to finished there (06), per receiving agency and for the province,
    in the period of kind `period_kind` holding the day it finished (numerator: the documents
    finished with a known arrival, which the median is over; denominator: the documents finished).
    A median does not add up, so it is `aggregate`: the measure gives the value at each level itself.
-#}
{% macro measure__vb_01(period_kind) %}
    {%- set finished_in = period_start_of("'" ~ period_kind ~ "'", local_date('steps.status_at')) %}
    {%- set province = agency_province('steps.agency_id') %}
    select
        'VB-01' as indicator_id,
        {{ finished_in }} as period_start,
        'agency' as level,
        steps.agency_id as unit_id,
        count(steps.handling_working_days) as numerator,
        count(*) as denominator,
        percentile_cont(0.5) within group (order by steps.handling_working_days) as value
    from {{ ref('fct_document_status') }} as steps
    where steps.status_code = '06' and steps.is_received_in_province
    group by {{ finished_in }}, steps.agency_id
    union all
    select
        'VB-01' as indicator_id,
        {{ finished_in }} as period_start,
        'province' as level,
        {{ province }} as unit_id,
        count(steps.handling_working_days) as numerator,
        count(*) as denominator,
        percentile_cont(0.5) within group (order by steps.handling_working_days) as value
    from {{ ref('fct_document_status') }} as steps
    where steps.status_code = '06' and steps.is_received_in_province
    group by {{ finished_in }}, {{ province }}
{% endmacro %}
