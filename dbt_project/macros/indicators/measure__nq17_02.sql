{#-
    NQ17-02 level-3/4 online services integrated with the National Public Service Portal
    (Resolution 17/NQ-CP), per agency and reporting period of kind `period_kind`: online services
    (procedures in the agency's remit with a partial or full-process service, level 3/4) of which
    a dossier the agency received in the period was synced to the portal (the integration shown in
    use) / online services in its remit.
-#}
{% macro measure__nq17_02(period_kind) %}
    {{ onestop_procedure_ratio('NQ17-02', period_kind, 'is_online_service', 'has_synced_dossier') }}
{% endmacro %}
