-- Decision 766 and Resolution 17 dossier indicators per agency and reporting month:
-- 766-2.1 (settled early or on time), 766-3.3 (submitted online), NQ17-01 (settled online).
-- Every agency gets a row for every month and indicator; a zero denominator gives a NULL rate.
with periods as (
    select
        period_month,
        period_start,
        period_end,
        as_of,
        is_complete
    from {{ ref('int_reporting_periods') }}
),

dossiers as (
    select
        dossier_id,
        agency_id,
        is_online,
        is_received,
        received_at,
        is_settled,
        settled_at
    from {{ ref('fct_dossier') }}
    where agency_id is not null
),

agencies as (
    select
        agency_id,
        agency_name
    from {{ ref('dim_agency') }}
    where is_current
    union all
    select distinct
        dossiers.agency_id,
        null as agency_name
    from dossiers
    where not exists (
        select 1
        from {{ ref('dim_agency') }} as known_agencies
        where known_agencies.agency_id = dossiers.agency_id and known_agencies.is_current
    )
),

computed_indicators as (
    select computed.indicator_id
    from (values ('766-2.1'), ('766-3.3'), ('NQ17-01')) as computed (indicator_id)
),

submitted_online as (
    select
        periods.period_month,
        dossiers.agency_id,
        '766-3.3' as indicator_id,
        count(*) filter (where dossiers.is_online) as numerator,
        count(*) as denominator
    from dossiers
    inner join periods
        on
            dossiers.received_at >= periods.period_start
            and dossiers.received_at < periods.period_end
    where dossiers.is_received
    group by periods.period_month, dossiers.agency_id
),

settled_online as (
    select
        periods.period_month,
        dossiers.agency_id,
        'NQ17-01' as indicator_id,
        count(*) filter (where dossiers.is_online) as numerator,
        count(*) as denominator
    from dossiers
    inner join periods
        on
            dossiers.settled_at >= periods.period_start
            and dossiers.settled_at < periods.period_end
    where dossiers.is_settled
    group by periods.period_month, dossiers.agency_id
),

on_time as (
    select
        period_month,
        agency_id,
        '766-2.1' as indicator_id,
        count(*) filter (where is_on_time) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__dossier_months') }}
    where agency_id is not null
    group by period_month, agency_id
),

measures as (
    select
        period_month,
        agency_id,
        indicator_id,
        numerator,
        denominator
    from submitted_online
    union all
    select
        period_month,
        agency_id,
        indicator_id,
        numerator,
        denominator
    from settled_online
    union all
    select
        period_month,
        agency_id,
        indicator_id,
        numerator,
        denominator
    from on_time
),

scaffold as (
    select
        periods.period_month,
        periods.is_complete,
        periods.as_of,
        agencies.agency_id,
        agencies.agency_name,
        computed_indicators.indicator_id
    from periods
    cross join agencies
    cross join computed_indicators
),

counted as (
    select
        scaffold.period_month,
        scaffold.agency_id,
        scaffold.agency_name,
        scaffold.indicator_id,
        scaffold.is_complete,
        scaffold.as_of,
        coalesce(measures.numerator, 0)::bigint as numerator,
        coalesce(measures.denominator, 0)::bigint as denominator
    from scaffold
    left join measures
        on
            scaffold.period_month = measures.period_month
            and scaffold.agency_id = measures.agency_id
            and scaffold.indicator_id = measures.indicator_id
),

rated as (
    select
        counted.period_month,
        counted.agency_id,
        counted.agency_name,
        counted.indicator_id,
        catalogue.name_vi as indicator_name_vi,
        catalogue.name_en as indicator_name_en,
        counted.numerator,
        counted.denominator,
        counted.numerator::numeric / nullif(counted.denominator, 0) as rate,
        targets.target,
        targets.confirmed as target_confirmed,
        counted.is_complete,
        counted.as_of
    from counted
    left join {{ ref('indicator_catalogue') }} as catalogue
        on counted.indicator_id = catalogue.indicator_id
    left join {{ ref('indicator_targets') }} as targets
        on
            counted.indicator_id = targets.indicator_id
            and extract(year from counted.period_month) >= targets.valid_from_year
            and extract(year from counted.period_month) <= coalesce(targets.valid_to_year, 9999)
)

select
    period_month,
    agency_id,
    agency_name,
    indicator_id,
    indicator_name_vi,
    indicator_name_en,
    numerator,
    denominator,
    rate,
    target,
    target_confirmed,
    rate >= target as met,
    is_complete as period_is_complete,
    as_of as period_as_of
from rated
