{#-
    NQ17-01 settled online (Resolution 17/NQ-CP), per agency and local month of settlement:
    dossiers settled (status 9/10, end of processing in the month) submitted online / dossiers settled.
-#}
{% macro measure__nq17_01() %}
    select
        'NQ17-01' as indicator_id,
        date_trunc('month', {{ local_date('settled_at') }})::date as period_month,
        coalesce(agency_id, 'unknown') as agency_id,
        count(*) filter (where is_online) as numerator,
        count(*) as denominator
    from {{ ref('fct_dossier') }}
    where is_settled and settled_at is not null
    group by date_trunc('month', {{ local_date('settled_at') }})::date, coalesce(agency_id, 'unknown')
{% endmacro %}
