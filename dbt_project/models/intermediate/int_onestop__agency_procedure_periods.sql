-- One row per reporting period of the one-stop source, agency and procedure in that agency's
-- remit: the procedures of the catalogue as in force at the period's as_of (its end, or the end
-- of its coverage) that list the agency among their implementing agencies (COQUANTHUCHIEN). A
-- procedure counts once per agency and period. A procedure's first catalogue version also
-- describes it before the catalogue was first seen (the catalogue is pulled whole, so its history
-- starts late). The facts of the procedure-level indicators (766-3.1, 3.2, 3.5; NQ17-02, NQ17-04,
-- QD2629-02).
with period_kinds as (
    select unnest(string_to_array('{{ period_kinds() | join(",") }}', ',')) as period_kind
),

periods as (
    select
        period_kind,
        period_start,
        as_of
    from {{ ref('int_reporting_periods') }}
    where source_name = 'onestop'
),

procedure_versions as (
    select
        procedure_id,
        valid_from,
        case
            when row_number() over (partition by procedure_id order by valid_from) = 1 then '-infinity'::timestamptz
            else valid_from
        end as effective_from,
        coalesce(valid_to, 'infinity'::timestamptz) as effective_to,
        implementing_agencies
    from {{ ref('int_onestop__procedure_versions') }}
),

procedure_agencies as (
    select distinct
        procedure_versions.procedure_id,
        procedure_versions.valid_from,
        procedure_versions.effective_from,
        procedure_versions.effective_to,
        btrim(agency_items.implementing_agency ->> 'MADONVI') as agency_id
    from procedure_versions
    cross join
        lateral jsonb_array_elements(procedure_versions.implementing_agencies) as agency_items (implementing_agency)
    where
        jsonb_typeof(agency_items.implementing_agency) = 'object'
        and nullif(btrim(agency_items.implementing_agency ->> 'MADONVI'), '') is not null
),

remits as (
    select
        periods.period_kind,
        periods.period_start,
        periods.as_of,
        procedure_agencies.agency_id,
        procedure_agencies.procedure_id,
        procedure_catalogue.online_level in ('full', 'partial') as is_online_service,
        procedure_catalogue.online_level = 'full' as is_full_process,
        procedure_catalogue.is_full_process_eligible,
        procedure_catalogue.has_fee
    from periods
    inner join procedure_agencies
        on
            periods.as_of > procedure_agencies.effective_from
            and periods.as_of <= procedure_agencies.effective_to
    inner join {{ ref('dim_procedure') }} as procedure_catalogue
        on
            procedure_agencies.procedure_id = procedure_catalogue.procedure_id
            and procedure_agencies.valid_from = procedure_catalogue.valid_from
),

-- per agency and procedure, whether a dossier received in the period (by its local date, as
-- 766-3.3 counts it) was submitted online, whether one was paid online, and whether one was
-- synced to the National Public Service Portal
dossier_activity as (
    select
        period_kinds.period_kind,
        {{ period_start_of('period_kinds.period_kind', local_date('dossiers.received_at')) }} as period_start,
        dossiers.agency_id,
        dossiers.procedure_id,
        bool_or(dossiers.is_online) as has_online_dossier,
        bool_or(dossier_flags.is_paid_online) as has_online_payment,
        bool_or(dossiers.is_synced_to_portal) as has_synced_dossier
    from {{ ref('fct_dossier') }} as dossiers
    inner join {{ ref('int_onestop__dossier_flags') }} as dossier_flags
        on dossiers.dossier_id = dossier_flags.dossier_id
    cross join period_kinds
    where dossiers.is_received and dossiers.agency_id is not null and dossiers.procedure_id is not null
    group by
        period_kinds.period_kind,
        {{ period_start_of('period_kinds.period_kind', local_date('dossiers.received_at')) }},
        dossiers.agency_id,
        dossiers.procedure_id
)

select
    remits.period_kind,
    remits.period_start,
    remits.agency_id,
    remits.procedure_id,
    -- the unit of government of the agency at the period's as_of
    agency_units.admin_unit_code,
    agency_units.unit_valid_from as admin_unit_valid_from,
    remits.is_online_service,
    remits.is_full_process,
    remits.is_full_process_eligible,
    remits.has_fee,
    coalesce(dossier_activity.has_online_dossier, false) as has_online_dossier,
    coalesce(dossier_activity.has_online_payment, false) as has_online_payment,
    coalesce(dossier_activity.has_synced_dossier, false) as has_synced_dossier
from remits
left join dossier_activity
    on
        remits.period_kind = dossier_activity.period_kind
        and remits.period_start = dossier_activity.period_start
        and remits.agency_id = dossier_activity.agency_id
        and remits.procedure_id = dossier_activity.procedure_id
left join {{ ref('int_agency_units') }} as agency_units
    on
        remits.agency_id = agency_units.agency_id
        and remits.as_of > agency_units.valid_from
        and remits.as_of <= agency_units.valid_to
