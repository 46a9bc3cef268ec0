-- Data quality per source, entity and local month, published beside the indicators so that a
-- reader sees why a month is provisional or was refused: what the loader received, loaded and
-- rejected (int_source_quality__months), how many one-stop dossiers name an agency or a
-- procedure missing from its catalogue (fct_dossier), and how much of the month the source covers
-- (int_reporting_periods). Thresholds come from the seed dq_thresholds, the one place they are set.
with thresholds as (
    select
        max(provisional_above) filter (where measure = 'reject_share') as reject_provisional_above,
        max(refuse_above) filter (where measure = 'reject_share') as reject_refuse_above,
        max(provisional_above) filter (where measure = 'unknown_share') as unknown_provisional_above,
        max(refuse_above) filter (where measure = 'unknown_share') as unknown_refuse_above
    from {{ ref('dq_thresholds') }}
),

loads as (
    select
        source_name,
        entity_name,
        period_month,
        batches,
        records_received,
        records_loaded,
        records_rejected
    from {{ ref('int_source_quality__months') }}
),

-- one-stop dossiers by local month of reception (else submission, else last update)
dossier_months as (
    select
        date_trunc(
            'month', {{ local_date('coalesce(received_at, submitted_at, source_updated_at)') }}
        )::date as period_month,
        is_agency_in_catalogue,
        is_procedure_in_catalogue
    from {{ ref('fct_dossier') }}
),

dossier_members as (
    select
        'onestop' as source_name,
        'dossiers' as entity_name,
        period_month,
        count(*) as dossiers,
        count(*) filter (where not is_agency_in_catalogue) as unknown_agency_dossiers,
        count(*) filter (where not is_procedure_in_catalogue) as unknown_procedure_dossiers,
        count(*) filter (where not is_agency_in_catalogue or not is_procedure_in_catalogue) as unknown_dossiers
    from dossier_months
    group by period_month
),

source_months as (
    select
        coalesce(loads.source_name, dossier_members.source_name) as source_name,
        coalesce(loads.entity_name, dossier_members.entity_name) as entity_name,
        coalesce(loads.period_month, dossier_members.period_month) as period_month,
        coalesce(loads.batches, 0) as batches,
        coalesce(loads.records_received, 0) as records_received,
        coalesce(loads.records_loaded, 0) as records_loaded,
        coalesce(loads.records_rejected, 0) as records_rejected,
        dossier_members.dossiers,
        dossier_members.unknown_agency_dossiers,
        dossier_members.unknown_procedure_dossiers,
        dossier_members.unknown_dossiers
    from loads
    full outer join dossier_members
        on
            loads.source_name = dossier_members.source_name
            and loads.entity_name = dossier_members.entity_name
            and loads.period_month = dossier_members.period_month
),

measured as (
    select
        source_months.source_name,
        source_months.entity_name,
        source_months.period_month,
        source_months.batches,
        source_months.records_received,
        source_months.records_loaded,
        source_months.records_rejected,
        source_months.records_rejected::numeric / nullif(source_months.records_received, 0) as reject_share,
        source_months.dossiers,
        source_months.unknown_agency_dossiers,
        source_months.unknown_procedure_dossiers,
        source_months.unknown_dossiers::numeric / nullif(source_months.dossiers, 0) as unknown_share,
        coalesce(periods.covered_days, 0) as covered_days,
        ((source_months.period_month + interval '1 month')::date - source_months.period_month) as days_in_month,
        periods.is_fully_covered,
        periods.is_complete
    from source_months
    left join {{ ref('int_reporting_periods') }} as periods
        on
            source_months.source_name = periods.source_name
            and periods.period_kind = 'month'
            and source_months.period_month = periods.period_start
)

select
    measured.source_name,
    measured.entity_name,
    measured.period_month,
    measured.batches,
    measured.records_received,
    measured.records_loaded,
    measured.records_rejected,
    measured.reject_share,
    measured.dossiers,
    measured.unknown_agency_dossiers,
    measured.unknown_procedure_dossiers,
    measured.unknown_share,
    measured.covered_days,
    measured.days_in_month,
    measured.covered_days::numeric / measured.days_in_month as coverage_share,
    case
        when measured.is_complete then 'complete'
        when measured.is_fully_covered is not null then 'provisional'
        else 'not_covered'
    end as period_status,
    nullif(concat_ws(
        '; ',
        case
            when measured.is_fully_covered is null then 'no day of the month covered'
            when not measured.is_fully_covered
                then 'covered ' || measured.covered_days || ' of ' || measured.days_in_month || ' days'
        end,
        case
            when measured.reject_share > thresholds.reject_provisional_above
                then
                    'reject share ' || round(100 * measured.reject_share, 1) || ' % above '
                    || round(100 * thresholds.reject_provisional_above, 1) || ' %'
        end,
        case
            when measured.unknown_share > thresholds.unknown_provisional_above
                then
                    'unknown agency or procedure ' || round(100 * measured.unknown_share, 1) || ' % above '
                    || round(100 * thresholds.unknown_provisional_above, 1) || ' %'
        end
    ), '') as quality_note,
    thresholds.reject_provisional_above,
    thresholds.reject_refuse_above,
    thresholds.unknown_provisional_above,
    thresholds.unknown_refuse_above
from measured
cross join thresholds
