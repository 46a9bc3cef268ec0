{#-
    766-4.4 dossiers linked to the applicant's data store (Decision 766/QĐ-TTg), per agency and
    reporting period of kind `period_kind` of reception: received dossiers with a component taken
    from the personal data store (TaiLieuNop.DuocLayTuKhoDMQG) / dossiers received.
-#}
{% macro measure__766_4_4(period_kind) %}
    {{ onestop_dossier_ratio(
        '766-4.4', period_kind, 'received_at', 'dossiers.is_received', 'dossier_flags.has_data_store_component'
    ) }}
{% endmacro %}
