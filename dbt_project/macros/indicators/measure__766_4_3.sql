{#-
    766-4.3 reuse of digitised data (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind` of reception: received dossiers with a component flagged as digitised data
    (HoSoCoThanhPhanSoHoa from the ministry/province systems, TaiLieuNop.DuocSoHoa from the
    portal) / dossiers received.
-#}
{% macro measure__766_4_3(period_kind) %}
    {{ onestop_dossier_ratio(
        '766-4.3', period_kind, 'received_at', 'dossiers.is_received', 'dossier_flags.has_digitised_components'
    ) }}
{% endmacro %}
