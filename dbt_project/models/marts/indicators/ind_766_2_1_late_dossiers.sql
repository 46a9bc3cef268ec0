-- What is behind 766-2.1: every dossier judged late, per agency and period (month, quarter, year),
-- with the dates that decided it. The verdict is int_onestop__dossier_periods' is_on_time, the one
-- the 766-2.1 measure counts, so an agency-period has exactly denominator − numerator rows here.
-- Rows exist for the periods ind_values gives 766-2.1 (agency rows), with its status and as_of.
with late_dossiers as (
    select
        dossier_periods.dossier_id,
        dossier_periods.period_kind,
        dossier_periods.period_start,
        coalesce(dossier_periods.agency_id, 'unknown') as agency_id,
        dossier_periods.procedure_id,
        dossier_periods.received_at,
        dossier_periods.base_promised_at,
        dossier_periods.due_date,
        dossier_periods.is_open_at_as_of,
        dossier_periods.processing_ended_at,
        dossier_periods.on_time_basis,
        dossier_periods.time_limit,
        dossier_periods.time_limit_unit,
        dossier_periods.elapsed_working_days,
        {{ local_date('dossier_periods.effective_end_at') }} as effective_end_date
    from {{ ref('int_onestop__dossier_periods') }} as dossier_periods
    where not dossier_periods.is_on_time
),

calendar as (
    select
        calendar_date,
        working_day_index
    from {{ ref('int_calendar__days') }}
),

-- working days past what the dossier had to end by, counted to its end (or to the period's as_of
-- while open): after the due date (a working day), or beyond a working-day limit
overdue as (
    select
        late_dossiers.dossier_id,
        late_dossiers.period_kind,
        late_dossiers.period_start,
        case
            when late_dossiers.due_date is not null
                then end_days.working_day_index - due_days.working_day_index
            when late_dossiers.on_time_basis = 'time_limit_working_days'
                then late_dossiers.elapsed_working_days - late_dossiers.time_limit
        end as working_days_over
    from late_dossiers
    left join calendar as end_days
        on late_dossiers.effective_end_date = end_days.calendar_date
    left join calendar as due_days
        on late_dossiers.due_date = due_days.calendar_date
),

indicator_rows as (
    select
        period_kind,
        period_start,
        unit_id,
        unit_name,
        status,
        period_as_of
    from {{ ref('ind_values') }}
    where indicator_id = '766-2.1' and level = 'agency' and scope = 'area' and view = 'historical'
),

procedure_names as (
    select
        procedure_id,
        procedure_name
    from {{ ref('dim_procedure') }}
    where is_current
)

select
    late_dossiers.period_kind,
    late_dossiers.period_start,
    indicator_rows.status,
    indicator_rows.period_as_of,
    late_dossiers.agency_id,
    indicator_rows.unit_name as agency_name,
    late_dossiers.dossier_id,
    late_dossiers.procedure_id,
    procedure_names.procedure_name,
    late_dossiers.received_at,
    late_dossiers.base_promised_at as promised_at,
    late_dossiers.due_date,
    case when not late_dossiers.is_open_at_as_of then late_dossiers.processing_ended_at end as ended_at,
    late_dossiers.is_open_at_as_of as is_open,
    late_dossiers.on_time_basis as late_basis,
    late_dossiers.time_limit,
    late_dossiers.time_limit_unit,
    overdue.working_days_over
from late_dossiers
inner join overdue
    on
        late_dossiers.dossier_id = overdue.dossier_id
        and late_dossiers.period_kind = overdue.period_kind
        and late_dossiers.period_start = overdue.period_start
inner join indicator_rows
    on
        late_dossiers.period_kind = indicator_rows.period_kind
        and late_dossiers.period_start = indicator_rows.period_start
        and late_dossiers.agency_id = indicator_rows.unit_id
left join procedure_names
    on late_dossiers.procedure_id = procedure_names.procedure_id
