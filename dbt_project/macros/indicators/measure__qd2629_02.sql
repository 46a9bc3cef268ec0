{#-
    QD2629-02 full-process online services among eligible procedures (Decision 2629/QĐ-TTg), per
    agency and reporting period of kind `period_kind`: procedures in the agency's remit the
    catalogue marks eligible for full-process service (DUDIEUKIENTOANTRINH) that have one / eligible
    procedures in its remit.
-#}
{% macro measure__qd2629_02(period_kind) %}
    {{ onestop_procedure_ratio('QD2629-02', period_kind, 'is_full_process_eligible', 'is_full_process') }}
{% endmacro %}
