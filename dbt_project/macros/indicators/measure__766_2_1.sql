{#-
    766-2.1 settled early or on time (Decision 766/QĐ-TTg), per agency and reporting period of kind
    `period_kind`: dossiers in scope judged on time / dossiers in scope (the rules are in
    int_onestop__dossier_periods; a dossier is judged once per period it is in scope for).
-#}
{% macro measure__766_2_1(period_kind) %}
    select
        '766-2.1' as indicator_id,
        period_start,
        coalesce(agency_id, 'unknown') as agency_id,
        count(*) filter (where is_on_time) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__dossier_periods') }}
    where period_kind = '{{ period_kind }}'
    group by period_start, coalesce(agency_id, 'unknown')
{% endmacro %}
