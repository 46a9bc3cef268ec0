{#-
    766-3.3 submitted online (Decision 766/QĐ-TTg), per agency and local month of reception:
    received dossiers submitted online (KenhThucHien = 2) / dossiers received (statuses 1 and 3 are
    never received).
-#}
{% macro measure__766_3_3() %}
    select
        '766-3.3' as indicator_id,
        date_trunc('month', {{ local_date('received_at') }})::date as period_month,
        coalesce(agency_id, 'unknown') as agency_id,
        count(*) filter (where is_online) as numerator,
        count(*) as denominator
    from {{ ref('fct_dossier') }}
    where is_received
    group by date_trunc('month', {{ local_date('received_at') }})::date, coalesce(agency_id, 'unknown')
{% endmacro %}
