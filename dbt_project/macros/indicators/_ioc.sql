{#-
    The shape the IOC's indicators share (additive: numerator and denominator per agency and the
    commune where it happened, summed across them). The facts' rules (minutes up, deadlines) are in
    fct_camera_availability and fct_field_report.
-#}

{#- Field reports made in the period of kind `period_kind` (by local date), per agency handling
    them and commune: those meeting `numerator` / those where `judged` (conditions on `reports`). -#}
{% macro field_report_ratio(indicator_id, period_kind, numerator, judged) %}
    {{ placed_record_ratio(
        indicator_id,
        period_kind,
        ref('fct_field_report') ~ ' as reports',
        local_date('reports.created_at'),
        'reports.agency_id',
        'reports.commune_code',
        unit_valid_from_at('reports.commune_code', local_date('reports.created_at')),
        numerator,
        judged
    ) }}
{% endmacro %}
