-- Decision 766-2.2 per dossier settled (status 9/10) and reporting period in which it was settled:
-- its settlement time in its procedure's own unit (working days, calendar days or hours), from
-- reception (a day off counted from the next working day) to the end of processing, supplement
-- waits subtracted in that unit (int_onestop__dossier_periods), beside the legal limit.
select
    dossier_periods.dossier_id,
    dossier_periods.period_kind,
    dossier_periods.period_start,
    dossier_periods.agency_id,
    dossiers.admin_unit_code,
    dossiers.admin_unit_valid_from,
    dossier_periods.procedure_id,
    dossier_periods.time_limit,
    dossier_periods.time_limit_unit,
    dossier_periods.elapsed_in_limit_unit as settlement_time
from {{ ref('int_onestop__dossier_periods') }} as dossier_periods
inner join {{ ref('fct_dossier') }} as dossiers
    on dossier_periods.dossier_id = dossiers.dossier_id
where
    dossiers.is_settled
    and not dossier_periods.is_open_at_as_of
    and {{ period_start_of('dossier_periods.period_kind', local_date('dossier_periods.processing_ended_at')) }}
    = dossier_periods.period_start
