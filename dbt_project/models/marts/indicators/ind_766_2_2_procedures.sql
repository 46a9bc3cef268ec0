-- Decision 766-2.2 as the Decision defines it: per procedure, the mean settlement time of its
-- dossiers settled in the period, in the procedure's own time unit, beside its legal limit
-- (int_onestop__settlement_times); per agency and for the province (the agencies' dossiers
-- together). A procedure whose limits differ by channel has one row per limit. Rows exist for the
-- units and periods ind_values gives 766-2.2 (area, historical), with its status and as_of.
with settled as (
    select
        settlement_times.period_kind,
        settlement_times.period_start,
        settlement_times.agency_id,
        {{ agency_province('settlement_times.agency_id') }} as province_id,
        settlement_times.procedure_id,
        settlement_times.time_limit,
        settlement_times.time_limit_unit,
        settlement_times.settlement_time
    from {{ ref('int_onestop__settlement_times') }} as settlement_times
    where settlement_times.settlement_time is not null and settlement_times.agency_id is not null
),

unit_rows as (
    select
        period_kind,
        period_start,
        'agency' as level,  -- noqa: RF04
        agency_id as unit_id,
        procedure_id,
        time_limit,
        time_limit_unit,
        count(*) as dossiers_settled,
        sum(settlement_time) as total_settlement_time
    from settled
    group by period_kind, period_start, agency_id, procedure_id, time_limit, time_limit_unit
    union all
    select
        period_kind,
        period_start,
        'province' as level,  -- noqa: RF04
        province_id as unit_id,
        procedure_id,
        time_limit,
        time_limit_unit,
        count(*) as dossiers_settled,
        sum(settlement_time) as total_settlement_time
    from settled
    where province_id is not null
    group by period_kind, period_start, province_id, procedure_id, time_limit, time_limit_unit
),

indicator_rows as (
    select
        period_kind,
        period_start,
        level,
        unit_id,
        unit_name,
        status,
        period_as_of
    from {{ ref('ind_values') }}
    where indicator_id = '766-2.2' and scope = 'area' and view = 'historical'
),

procedure_names as (
    select
        procedure_id,
        procedure_name
    from {{ ref('dim_procedure') }}
    where is_current
)

select
    unit_rows.period_kind,
    unit_rows.period_start,
    indicator_rows.status,
    indicator_rows.period_as_of,
    unit_rows.level,
    unit_rows.unit_id,
    indicator_rows.unit_name,
    unit_rows.procedure_id,
    procedure_names.procedure_name,
    unit_rows.time_limit_unit,
    unit_rows.time_limit,
    unit_rows.dossiers_settled,
    unit_rows.total_settlement_time,
    unit_rows.total_settlement_time / unit_rows.dossiers_settled as mean_settlement_time,
    case
        when unit_rows.time_limit > 0
            then unit_rows.total_settlement_time / unit_rows.dossiers_settled / unit_rows.time_limit
    end as limit_share
from unit_rows
inner join indicator_rows
    on
        unit_rows.period_kind = indicator_rows.period_kind
        and unit_rows.period_start = indicator_rows.period_start
        and unit_rows.level = indicator_rows.level
        and unit_rows.unit_id = indicator_rows.unit_id
left join procedure_names
    on unit_rows.procedure_id = procedure_names.procedure_id
