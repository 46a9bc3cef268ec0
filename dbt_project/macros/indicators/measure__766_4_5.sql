{#-
    766-4.5 population-data use (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind` of reception: received dossiers with a VNeID-verified applicant account, a
    component from the national data store, or a check against the population database
    (DSKetNoiCSDL, see onestop_linked_databases) / dossiers received. One-stop flags only: the
    population interface's lookups join later.
-#}
{% macro measure__766_4_5(period_kind) %}
    {{ onestop_dossier_ratio(
        '766-4.5', period_kind, 'received_at', 'dossiers.is_received', 'dossier_flags.uses_population_data'
    ) }}
{% endmacro %}
