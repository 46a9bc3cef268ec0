{#-
    QD2629-01 work files processed electronically and signed personally (Decision 2629/QĐ-TTg),
    per agency and period of kind `period_kind` they were closed: work files processed online and
    signed with the officer's personal digital signature / work files closed.
-#}
{% macro measure__qd2629_01(period_kind) %}
    {{ work_file_ratio(
        'QD2629-01', period_kind, 'work_files.is_processed_online and work_files.is_signed_personally'
    ) }}
{% endmacro %}
