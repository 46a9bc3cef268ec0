{#-
    766-4.2 dossiers digitised (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind` of settlement: dossiers settled (status 9/10) whose components were digitised
    (HoSoCoThanhPhanSoHoa, or a file with DuocSoHoa) and whose result is electronic / dossiers
    settled (the result exists only once settled).
-#}
{% macro measure__766_4_2(period_kind) %}
    {{ onestop_dossier_ratio(
        '766-4.2', period_kind, 'settled_at', 'dossiers.is_settled',
        'dossier_flags.has_digitised_components and dossier_flags.has_electronic_result'
    ) }}
{% endmacro %}
