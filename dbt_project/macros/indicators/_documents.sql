{#-
    The two shapes the document-exchange ratios share (additive: numerator and denominator per
    sending agency and its unit of government, summed across agencies). The facts' rules (what is
    electronic, signed, processed online) are in fct_document and fct_work_file.
-#}

{#- Documents the province's agencies sent, each once, in the period of kind `period_kind`
    holding the local date it was sent: all of them are the denominator, those meeting
    `numerator` (a condition on `documents`) the numerator. -#}
{% macro document_ratio(indicator_id, period_kind, numerator) %}
    {%- set period = period_start_of("'" ~ period_kind ~ "'", local_date('documents.sent_at')) %}
    select
        '{{ indicator_id }}' as indicator_id,
        {{ period }} as period_start,
        documents.sender_agency_id as agency_id,
        documents.admin_unit_code,
        documents.admin_unit_valid_from,
        count(*) filter (where {{ numerator }}) as numerator,
        count(*) as denominator
    from {{ ref('fct_document') }} as documents
    where documents.is_sent_in_province
    group by {{ period }}, documents.sender_agency_id, documents.admin_unit_code, documents.admin_unit_valid_from
{% endmacro %}

{#- Work files closed in the period of kind `period_kind` (each once, by the local date it was
    closed): all of them are the denominator, those meeting `numerator` (a condition on
    `work_files`) the numerator. -#}
{% macro work_file_ratio(indicator_id, period_kind, numerator) %}
    {%- set period = period_start_of("'" ~ period_kind ~ "'", local_date('work_files.closed_at')) %}
    select
        '{{ indicator_id }}' as indicator_id,
        {{ period }} as period_start,
        work_files.agency_id,
        work_files.admin_unit_code,
        work_files.admin_unit_valid_from,
        count(*) filter (where {{ numerator }}) as numerator,
        count(*) as denominator
    from {{ ref('fct_work_file') }} as work_files
    where work_files.closed_at is not null
    group by {{ period }}, work_files.agency_id, work_files.admin_unit_code, work_files.admin_unit_valid_from
{% endmacro %}
