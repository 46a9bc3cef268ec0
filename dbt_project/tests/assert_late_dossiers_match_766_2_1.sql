-- Every agency-period of 766-2.1 in ind_values lists exactly denominator − numerator late dossiers
-- in ind_766_2_1_late_dossiers, and the late dossiers name no agency-period ind_values lacks.
with indicator_rows as (
    select
        period_kind,
        period_start,
        unit_id as agency_id,
        denominator - numerator as late_count
    from {{ ref('ind_values') }}
    where indicator_id = '766-2.1' and level = 'agency' and scope = 'area' and view = 'historical'
),

listed as (
    select
        period_kind,
        period_start,
        agency_id,
        count(*) as late_count
    from {{ ref('ind_766_2_1_late_dossiers') }}
    group by period_kind, period_start, agency_id
)

select
    coalesce(indicator_rows.period_kind, listed.period_kind) as period_kind,
    coalesce(indicator_rows.period_start, listed.period_start) as period_start,
    coalesce(indicator_rows.agency_id, listed.agency_id) as agency_id,
    indicator_rows.late_count as late_in_ind_values,
    listed.late_count as late_listed
from indicator_rows
full outer join listed
    on
        indicator_rows.period_kind = listed.period_kind
        and indicator_rows.period_start = listed.period_start
        and indicator_rows.agency_id = listed.agency_id
where coalesce(indicator_rows.late_count, 0) <> coalesce(listed.late_count, 0)
