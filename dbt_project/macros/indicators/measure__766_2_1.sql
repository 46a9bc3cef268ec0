{#-
    766-2.1 settled early or on time (Decision 766/QĐ-TTg), per agency and reporting month: dossiers
    in scope judged on time / dossiers in scope (the rules are in int_onestop__dossier_months).
-#}
{% macro measure__766_2_1() %}
    select
        '766-2.1' as indicator_id,
        period_month,
        coalesce(agency_id, 'unknown') as agency_id,
        count(*) filter (where is_on_time) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__dossier_months') }}
    group by period_month, coalesce(agency_id, 'unknown')
{% endmacro %}
