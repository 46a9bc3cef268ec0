-- Every computed indicator per period (month, quarter, year) and unit, in long form: the measures
-- of int_indicator_measures plus what the catalogue says about each indicator (unit, direction,
-- Decision 766 scoring), the target in force and the coverage of the period.
-- A row exists only for a period every source the indicator needs covers (at least one day); it
-- is provisional while one of those sources is stale (its latest freshness check did not pass).
-- Additive indicators: every agency gets a row for such a period (0 / 0 when it had nothing) and
-- beside the agencies their province, whose numerator and denominator are the sums of its
-- agencies'; figures of an agency missing from the catalogue go to the agency row 'unknown' (and
-- so still into the province). Aggregate indicators: the rows their measure returns, per level.
-- Today every row is scope 'area' and view 'historical' (the units as they were).
with catalogue as (
    select
        indicator_id,
        framework,
        unit as value_unit,
        direction,
        full_score_at,
        max_points,
        sources,
        aggregate
    from {{ ref('indicator_catalogue') }}
    where measure is not null
),

needed_sources as (
    select
        catalogue.indicator_id,
        needed.source_name
    from catalogue
    cross join lateral regexp_split_to_table(btrim(catalogue.sources), '\s+') as needed (source_name)
),

-- indicators reading a source whose latest freshness check did not pass: provisional while it lasts
stale_indicators as (
    select distinct needed_sources.indicator_id
    from needed_sources
    inner join {{ ref('stg_ops__source_freshness') }} as freshness
        on needed_sources.source_name = freshness.source_name
    where freshness.is_stale
),

needed_source_counts as (
    select
        indicator_id,
        count(*) as needed_sources
    from needed_sources
    group by indicator_id
),

indicator_periods as (
    select
        needed_sources.indicator_id,
        periods.period_kind,
        periods.period_start,
        bool_and(periods.is_complete) as is_complete,
        min(periods.as_of) as as_of,
        count(*) as covering_sources
    from needed_sources
    inner join {{ ref('int_reporting_periods') }} as periods
        on needed_sources.source_name = periods.source_name
    group by needed_sources.indicator_id, periods.period_kind, periods.period_start
),

covered_periods as (
    select
        indicator_periods.indicator_id,
        indicator_periods.period_kind,
        indicator_periods.period_start,
        indicator_periods.is_complete,
        indicator_periods.as_of
    from indicator_periods
    inner join needed_source_counts
        on
            indicator_periods.indicator_id = needed_source_counts.indicator_id
            and indicator_periods.covering_sources = needed_source_counts.needed_sources
),

-- The name of an agency is that of its newest catalogue version; closed_at is when it stopped
-- working (dim_agency.active_until of that version: NULL while it is in the catalogue and its unit
-- of government exists).
named_agencies as (
    select distinct on (agency_id)
        agency_id,
        agency_name,
        active_until as closed_at
    from {{ ref('dim_agency') }}
    order by agency_id asc, valid_from desc
),

-- The province row's unit_id is the level-1 code of its agencies' ids (agency_province), and it
-- carries the name of the provincial People's Committee (000.00.00.H57).
catalogue_agencies as (
    select
        agency_id,
        agency_name,
        closed_at,
        false as is_unknown,
        coalesce({{ agency_province('agency_id') }}, 'unknown') as province_id
    from named_agencies
),

province_names as (
    select
        catalogue_agencies.province_id,
        min(named_agencies.agency_name) as province_name
    from catalogue_agencies
    inner join named_agencies
        on '000.00.00.' || catalogue_agencies.province_id = named_agencies.agency_id
    group by catalogue_agencies.province_id
),

-- the catalogue's province when it has only one
sole_province as (
    select case when count(distinct province_id) = 1 then min(province_id) end as province_id
    from catalogue_agencies
),

measured as (
    select
        measured.indicator_id,
        measured.period_kind,
        measured.period_start,
        measured.level,
        measured.unit_id,
        measured.numerator,
        measured.denominator,
        measured.value,
        catalogue.aggregate
    from {{ ref('int_indicator_measures') }} as measured
    inner join catalogue
        on measured.indicator_id = catalogue.indicator_id
),

-- Measures of an agency id the catalogue does not know (e.g. 999.99.99.H57), or of a dossier
-- whose agency could not be found ('unknown' from the measures), go to the one explicit unknown
-- member of their province, never to a row named after the raw code. Its province is that of
-- the raw id, else the catalogue's province when it has only one.
additive_measures as (
    select
        measured.indicator_id,
        measured.period_kind,
        measured.period_start,
        coalesce(catalogue_agencies.agency_id, 'unknown') as agency_id,
        coalesce(
            catalogue_agencies.province_id,
            {{ agency_province('measured.unit_id') }},
            sole_province.province_id,
            'unknown'
        ) as province_id,
        measured.numerator,
        measured.denominator
    from measured
    cross join sole_province
    left join catalogue_agencies
        on measured.unit_id = catalogue_agencies.agency_id
    where not measured.aggregate
),

agency_measures as (
    select
        indicator_id,
        period_kind,
        period_start,
        agency_id,
        province_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from additive_measures
    group by indicator_id, period_kind, period_start, agency_id, province_id
),

agency_provinces as (
    select
        agency_id,
        agency_name,
        closed_at,
        is_unknown,
        province_id
    from catalogue_agencies
    union
    select distinct
        agency_id,
        'Không xác định (mã không có trong danh mục)' as agency_name,
        null::timestamptz as closed_at,
        true as is_unknown,
        province_id
    from agency_measures
    where agency_id = 'unknown'
),

additive_periods as (
    select
        covered_periods.indicator_id,
        covered_periods.period_kind,
        covered_periods.period_start,
        covered_periods.is_complete,
        covered_periods.as_of
    from covered_periods
    inner join catalogue
        on covered_periods.indicator_id = catalogue.indicator_id
    where not catalogue.aggregate
),

agency_values as (
    select
        additive_periods.indicator_id,
        additive_periods.period_kind,
        additive_periods.period_start,
        'agency' as level,  -- noqa: RF04
        agency_provinces.agency_id as unit_id,
        agency_provinces.agency_name as unit_name,
        agency_provinces.province_id,
        agency_provinces.is_unknown as is_unknown_member,
        coalesce(measures.numerator, 0) as numerator,
        coalesce(measures.denominator, 0) as denominator,
        additive_periods.is_complete,
        additive_periods.as_of
    from additive_periods
    cross join agency_provinces
    left join agency_measures as measures
        on
            additive_periods.indicator_id = measures.indicator_id
            and additive_periods.period_kind = measures.period_kind
            and additive_periods.period_start = measures.period_start
            and agency_provinces.agency_id = measures.agency_id
            and agency_provinces.province_id = measures.province_id
    -- an agency that left the catalogue before the period began gets no row, unless it has
    -- figures; the unknown member has a row only in a period it has figures
    where
        measures.agency_id is not null
        or (not agency_provinces.is_unknown and agency_provinces.closed_at is null)
        or (
            not agency_provinces.is_unknown
            and agency_provinces.closed_at > {{ local_midnight('additive_periods.period_start') }}
        )
),

province_values as (
    select
        agency_values.indicator_id,
        agency_values.period_kind,
        agency_values.period_start,
        'province' as level,  -- noqa: RF04
        agency_values.province_id as unit_id,
        coalesce(min(province_names.province_name), agency_values.province_id) as unit_name,
        agency_values.province_id,
        false as is_unknown_member,
        sum(agency_values.numerator) as numerator,
        sum(agency_values.denominator) as denominator,
        bool_and(agency_values.is_complete) as is_complete,
        min(agency_values.as_of) as as_of
    from agency_values
    left join province_names
        on agency_values.province_id = province_names.province_id
    group by
        agency_values.indicator_id, agency_values.period_kind, agency_values.period_start, agency_values.province_id
),

-- an aggregate indicator's rows as its measure gives them, in covered periods only
aggregate_values as (
    select
        measured.indicator_id,
        measured.period_kind,
        measured.period_start,
        measured.level,
        measured.unit_id,
        coalesce(named_agencies.agency_name, province_names.province_name, measured.unit_id) as unit_name,
        measured.numerator,
        measured.denominator,
        measured.value,  -- noqa: RF04
        covered_periods.is_complete,
        covered_periods.as_of
    from measured
    inner join covered_periods
        on
            measured.indicator_id = covered_periods.indicator_id
            and measured.period_kind = covered_periods.period_kind
            and measured.period_start = covered_periods.period_start
    left join named_agencies
        on measured.level = 'agency' and measured.unit_id = named_agencies.agency_id
    left join province_names
        on measured.level = 'province' and measured.unit_id = province_names.province_id
    where measured.aggregate
),

unit_values as (
    select
        indicator_id,
        period_kind,
        period_start,
        level,
        unit_id,
        unit_name,
        is_unknown_member,
        numerator,
        denominator,
        null::numeric as given_value,
        is_complete,
        as_of
    from agency_values
    union all
    select
        indicator_id,
        period_kind,
        period_start,
        level,
        unit_id,
        unit_name,
        is_unknown_member,
        numerator,
        denominator,
        null::numeric as given_value,
        is_complete,
        as_of
    from province_values
    union all
    select
        indicator_id,
        period_kind,
        period_start,
        level,
        unit_id,
        unit_name,
        unit_id = 'unknown' as is_unknown_member,
        numerator,
        denominator,
        value as given_value,  -- noqa: RF04
        is_complete,
        as_of
    from aggregate_values
),

valued as (
    select
        unit_values.indicator_id,
        catalogue.framework,
        unit_values.period_kind,
        unit_values.period_start,
        unit_values.level,
        unit_values.unit_id,
        unit_values.unit_name,
        unit_values.numerator,
        case
            when catalogue.aggregate or catalogue.value_unit in ('ratio', 'duration', 'limit_share')
                then unit_values.denominator
        end as denominator,
        -- `value` is the published column's name (CONTRACTS.md item 6), keyword or not.
        case
            when catalogue.aggregate then unit_values.given_value
            when catalogue.value_unit in ('ratio', 'duration', 'limit_share')
                then unit_values.numerator / nullif(unit_values.denominator, 0)
            else unit_values.numerator
        end as value,  -- noqa: RF04
        catalogue.value_unit,
        catalogue.direction,
        -- the unknown member is no agency: no target, verdict or points are given to it
        case when not unit_values.is_unknown_member then targets.target end as target,  -- noqa: RF04
        case when not unit_values.is_unknown_member then targets.confirmed end as target_confirmed,
        unit_values.is_unknown_member,
        catalogue.full_score_at,
        catalogue.max_points,
        unit_values.is_complete and stale_indicators.indicator_id is null as is_complete,
        unit_values.as_of
    from unit_values
    inner join catalogue
        on unit_values.indicator_id = catalogue.indicator_id
    left join stale_indicators
        on unit_values.indicator_id = stale_indicators.indicator_id
    left join {{ ref('indicator_targets') }} as targets
        on
            unit_values.indicator_id = targets.indicator_id
            and extract(year from unit_values.period_start) >= targets.valid_from_year
            and extract(year from unit_values.period_start) <= coalesce(targets.valid_to_year, 9999)
)

select
    indicator_id,
    framework,
    period_kind,
    period_start,
    level,
    'area' as scope,
    'historical' as view,  -- noqa: RF04
    unit_id,
    unit_name,
    numerator,
    denominator,
    value,
    value_unit,
    target,
    target_confirmed,
    case
        when direction = 'lower_is_better' then value <= target
        else value >= target
    end as met,
    -- least() skips NULLs: without the value test a unit with no dossiers would score full points
    case
        when direction = 'higher_is_better' and value is not null and not is_unknown_member
            then least(1, value / nullif(full_score_at, 0)) * max_points
    end as points,
    case when is_complete then 'complete' else 'provisional' end as status,
    as_of as period_as_of
from valued
