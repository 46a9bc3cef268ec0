{#-
    766-4.1 dossiers with an electronic result (Decision 766/QĐ-TTg), per agency and reporting
    period of kind `period_kind` of settlement: dossiers settled (status 9/10) with a result
    document carrying a result-file link / dossiers settled (every procedure returns a result).
-#}
{% macro measure__766_4_1(period_kind) %}
    {{ onestop_dossier_ratio(
        '766-4.1', period_kind, 'settled_at', 'dossiers.is_settled', 'dossier_flags.has_electronic_result'
    ) }}
{% endmacro %}
