{#-
    766-5.2 feedback (PAKN) handled on time (Decision 766/QĐ-TTg), per agency handling it and
    reporting period of kind `period_kind`: items judged on time / items received or still being
    handled in the period (the rules, on the working-day calendar, are in
    int_onestop__feedback_periods; an item is judged once per period it is in scope for).
-#}
{% macro measure__766_5_2(period_kind) %}
    select
        '766-5.2' as indicator_id,
        period_start,
        agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        count(*) filter (where is_on_time) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__feedback_periods') }}
    where period_kind = '{{ period_kind }}'
    group by period_start, agency_id, admin_unit_code, admin_unit_valid_from
{% endmacro %}
