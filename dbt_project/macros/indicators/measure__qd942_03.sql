{#-
    QD942-03 dossiers processed fully online (Decision 942/QĐ-TTg), per agency and reporting period
    of kind `period_kind` of settlement: dossiers settled (status 9/10) that were submitted online
    (KenhThucHien = 2) for a procedure with a full-process online service (its version at reception)
    and returned an electronic result / dossiers settled.
-#}
{% macro measure__qd942_03(period_kind) %}
    {{ onestop_dossier_ratio(
        'QD942-03', period_kind, 'settled_at', 'dossiers.is_settled',
        "dossiers.is_online and procedure_versions.online_level = 'full' and dossier_flags.has_electronic_result"
    ) }}
{% endmacro %}
