{#-
    XL-02 median response time in seconds of the calls answered, per reporting period of kind
    `period_kind` of the request, for each agency and for the province (numerator: the calls
    answered, which the median is over; denominator: the calls made). A median does not add up,
    so it is `aggregate`: the measure returns the value at each level itself.
-#}
{% macro measure__xl_02(period_kind) %}
    {%- set requested_in = period_start_of("'" ~ period_kind ~ "'", local_date('requested_at')) %}
    {%- set province = agency_province('agency_id') %}
    select
        'XL-02' as indicator_id,
        {{ requested_in }} as period_start,
        'agency' as level,
        agency_id as unit_id,
        count(response_ms) as numerator,
        count(*) as denominator,
        percentile_cont(0.5) within group (order by response_ms) / 1000.0 as value
    from {{ ref('stg_xlog__calls') }}
    where agency_id is not null
    group by {{ requested_in }}, agency_id
    union all
    select
        'XL-02' as indicator_id,
        {{ requested_in }} as period_start,
        'province' as level,
        {{ province }} as unit_id,
        count(response_ms) as numerator,
        count(*) as denominator,
        percentile_cont(0.5) within group (order by response_ms) / 1000.0 as value
    from {{ ref('stg_xlog__calls') }}
    where {{ province }} is not null
    group by {{ requested_in }}, {{ province }}
{% endmacro %}
