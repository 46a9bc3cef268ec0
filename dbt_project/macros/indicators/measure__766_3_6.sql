{#-
    766-3.6 dossiers paid online (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind` of reception: received dossiers paid online (DuocThanhToanTrucTuyen, see
    onestop_payment_codes) / received dossiers of fee-bearing procedures, less those whose own fee
    list is all zero (waived); one whose fee was requested online but not paid is in it, unpaid.
-#}
{% macro measure__766_3_6(period_kind) %}
    {{ onestop_dossier_ratio(
        '766-3.6', period_kind, 'received_at',
        'dossiers.is_received and coalesce(procedure_versions.has_fee, false) and not dossier_flags.is_fee_waived',
        'dossier_flags.is_paid_online'
    ) }}
{% endmacro %}
