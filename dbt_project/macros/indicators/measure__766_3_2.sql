{#-
    766-3.2 online services with online dossiers (Decision 766/QĐ-TTg), per agency and reporting
    period of kind `period_kind`: online services (procedures in the agency's remit with a partial
    or full-process online service) of which the agency received at least one online dossier in
    the period / online services in its remit.
-#}
{% macro measure__766_3_2(period_kind) %}
    {{ onestop_procedure_ratio('766-3.2', period_kind, 'is_online_service', 'has_online_dossier') }}
{% endmacro %}
