{#-
    766-1.4 dossiers synced to the National Public Service Portal (Decision 766/QĐ-TTg), per agency
    and reporting period of kind `period_kind` of reception: received dossiers whose sync status
    says synced (fct_dossier.is_synced_to_portal) / dossiers received (statuses 1 and 3 are never
    received).
-#}
{% macro measure__766_1_4(period_kind) %}
    {%- set received_in = period_start_of("'" ~ period_kind ~ "'", local_date('received_at')) %}
    select
        '766-1.4' as indicator_id,
        {{ received_in }} as period_start,
        coalesce(agency_id, 'unknown') as agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        count(*) filter (where is_synced_to_portal) as numerator,
        count(*) as denominator
    from {{ ref('fct_dossier') }}
    where is_received
    group by {{ received_in }}, coalesce(agency_id, 'unknown'), admin_unit_code, admin_unit_valid_from
{% endmacro %}
