{#-
    766-3.1 procedures offered online (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind`: procedures in the agency's remit with a partial or full-process online service
    / procedures in its remit (the catalogue as of the period's end, each procedure once).
-#}
{% macro measure__766_3_1(period_kind) %}
    {{ onestop_procedure_ratio('766-3.1', period_kind, 'true', 'is_online_service') }}
{% endmacro %}
