{#-
    XL-01 calls succeeded (the call log's own framework XL), per agency and reporting period of kind
    `period_kind` of the request: calls that succeeded / calls made. Additive.
-#}
{% macro measure__xl_01(period_kind) %}
    {%- set requested_in = period_start_of("'" ~ period_kind ~ "'", local_date('requested_at')) %}
    select
        'XL-01' as indicator_id,
        {{ requested_in }} as period_start,
        coalesce(agency_id, 'unknown') as agency_id,
        count(*) filter (where is_succeeded) as numerator,
        count(*) as denominator
    from {{ ref('stg_xlog__calls') }}
    group by {{ requested_in }}, coalesce(agency_id, 'unknown')
{% endmacro %}
