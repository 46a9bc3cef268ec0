{#-
    QD942-02 work files processed online (Decision 942/QĐ-TTg), per agency and period of kind
    `period_kind` they were closed: work files processed online / work files closed.
-#}
{% macro measure__qd942_02(period_kind) %}
    {{ work_file_ratio('QD942-02', period_kind, 'work_files.is_processed_online') }}
{% endmacro %}
