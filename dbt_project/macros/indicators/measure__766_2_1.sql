{#-
    766-2.1 settled early or on time (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind` and unit of government at reception: dossiers in scope judged on time / dossiers
    in scope (the rules are in int_onestop__dossier_periods; a dossier is judged once per period it
    is in scope for).
-#}
{% macro measure__766_2_1(period_kind) %}
    select
        '766-2.1' as indicator_id,
        dossier_periods.period_start,
        coalesce(dossier_periods.agency_id, 'unknown') as agency_id,
        dossiers.admin_unit_code,
        dossiers.admin_unit_valid_from,
        count(*) filter (where dossier_periods.is_on_time) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__dossier_periods') }} as dossier_periods
    inner join {{ ref('fct_dossier') }} as dossiers
        on dossier_periods.dossier_id = dossiers.dossier_id
    where dossier_periods.period_kind = '{{ period_kind }}'
    group by
        dossier_periods.period_start,
        coalesce(dossier_periods.agency_id, 'unknown'),
        dossiers.admin_unit_code,
        dossiers.admin_unit_valid_from
{% endmacro %}
