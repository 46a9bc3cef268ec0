{#-
    IOC-03 field reports resolved in time, per agency handling them, commune and period of kind
    `period_kind` they were made in: reports whose handling was completed (NgayXuLy, an assumed
    field) by their tier's deadline / reports that carry a processing date (fct_field_report).
-#}
{% macro measure__ioc_03(period_kind) %}
    {{ field_report_ratio('IOC-03', period_kind, 'reports.is_resolved_in_time', 'reports.is_resolved_in_time is not null') }}
{% endmacro %}
