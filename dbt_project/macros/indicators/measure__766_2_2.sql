{#-
    766-2.2 average settlement time (Decision 766/QĐ-TTg, not scored), per agency, unit of
    government at reception and reporting period of kind `period_kind` in which the dossier was
    settled. The Decision defines it per procedure in the procedure's own unit
    (marts.ind_766_2_2_procedures); a mean over procedures of different units has no meaning, so
    the value here is the mean share of the legal time limit the settled dossiers used:
    Σ (settlement time ÷ legal limit, both in the procedure's unit) / dossiers settled with a known
    limit. The sum and the count add up across agencies and units, so a commune's or the
    province's value is the mean over its dossiers.
-#}
{% macro measure__766_2_2(period_kind) %}
    select
        '766-2.2' as indicator_id,
        period_start,
        coalesce(agency_id, 'unknown') as agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        sum(settlement_time / time_limit) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__settlement_times') }}
    where period_kind = '{{ period_kind }}' and settlement_time is not null and time_limit > 0
    group by period_start, coalesce(agency_id, 'unknown'), admin_unit_code, admin_unit_valid_from
{% endmacro %}
