{#-
    NQ17-04 online services at level 4 (Resolution 17/NQ-CP), per agency and reporting period of
    kind `period_kind`: procedures in the agency's remit with a full-process online service (level 4
    read as full-process) / procedures in its remit with a partial or full-process online service.
-#}
{% macro measure__nq17_04(period_kind) %}
    {{ onestop_procedure_ratio('NQ17-04', period_kind, 'is_online_service', 'is_full_process') }}
{% endmacro %}
