{#-
    NQ17-01 settled online (Resolution 17/NQ-CP), per agency and reporting period of kind
    `period_kind` of settlement: dossiers settled (status 9/10, end of processing in the period)
    submitted online / dossiers settled.
-#}
{% macro measure__nq17_01(period_kind) %}
    {%- set settled_in = period_start_of("'" ~ period_kind ~ "'", local_date('settled_at')) %}
    select
        'NQ17-01' as indicator_id,
        {{ settled_in }} as period_start,
        coalesce(agency_id, 'unknown') as agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        count(*) filter (where is_online) as numerator,
        count(*) as denominator
    from {{ ref('fct_dossier') }}
    where is_settled and settled_at is not null
    group by {{ settled_in }}, coalesce(agency_id, 'unknown'), admin_unit_code, admin_unit_valid_from
{% endmacro %}
