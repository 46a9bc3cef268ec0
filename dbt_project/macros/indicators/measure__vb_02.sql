{#-
    VB-02 documents received handled by their due date, per receiving agency and its unit of
    government, in the period of kind `period_kind` holding the day they finished (06): those
    finished on or before the document's due date / those finished that had a due date.
-#}
{% macro measure__vb_02(period_kind) %}
    {%- set finished_in = period_start_of("'" ~ period_kind ~ "'", local_date('steps.status_at')) %}
    select
        'VB-02' as indicator_id,
        {{ finished_in }} as period_start,
        steps.agency_id,
        steps.admin_unit_code,
        steps.admin_unit_valid_from,
        count(*) filter (where steps.is_within_due_date) as numerator,
        count(*) as denominator
    from {{ ref('fct_document_status') }} as steps
    where steps.status_code = '06' and steps.is_within_due_date is not null and steps.is_received_in_province
    group by {{ finished_in }}, steps.agency_id, steps.admin_unit_code, steps.admin_unit_valid_from
{% endmacro %}
