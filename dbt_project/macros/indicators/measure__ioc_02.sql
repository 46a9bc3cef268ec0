{#-
    IOC-02 field reports answered in time, per agency handling them, commune and period of kind
    `period_kind` they were made in: reports answered (NgayTraLoi) by their tier's deadline /
    reports answered, or whose deadline passed unanswered (fct_field_report).
-#}
{% macro measure__ioc_02(period_kind) %}
    {{ field_report_ratio('IOC-02', period_kind, 'reports.is_answered_in_time', 'reports.is_answered_in_time is not null') }}
{% endmacro %}
