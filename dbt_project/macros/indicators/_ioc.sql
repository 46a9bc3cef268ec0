{#-
    The shape the IOC's indicators share (additive: numerator and denominator per agency and the
    commune where it happened, summed across them). The facts' rules (minutes up, deadlines) are in
    fct_camera_availability and fct_field_report.
-#}

{#- Field reports made in the period of kind `period_kind` (by local date), per agency handling
    them and commune: those meeting `numerator` / those where `judged` (conditions on `reports`). -#}
{% macro field_report_ratio(indicator_id, period_kind, numerator, judged) %}
    select
        '{{ indicator_id }}' as indicator_id,
        placed.period_start,
        placed.agency_id,
        placed.admin_unit_code,
        placed.admin_unit_valid_from,
        count(*) filter (where placed.is_counted) as numerator,
        count(*) as denominator
    from (
        select
            {{ period_start_of("'" ~ period_kind ~ "'", local_date('reports.created_at')) }} as period_start,
            coalesce(reports.agency_id, 'unknown') as agency_id,
            reports.commune_code as admin_unit_code,
            {{ unit_valid_from_at('reports.commune_code', local_date('reports.created_at')) }}
                as admin_unit_valid_from,
            coalesce({{ numerator }}, false) as is_counted
        from {{ ref('fct_field_report') }} as reports
        where {{ judged }}
    ) as placed
    group by placed.period_start, placed.agency_id, placed.admin_unit_code, placed.admin_unit_valid_from
{% endmacro %}
