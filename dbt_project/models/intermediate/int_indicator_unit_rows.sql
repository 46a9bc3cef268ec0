-- The rows ind_values publishes, with each unit's name, in the periods each indicator is published
-- for (int_indicator_periods). `is_expected` marks the rows an additive indicator owes whatever its
-- figures (0 / 0 when it had nothing), which assert_ind_values_has_every_expected_row checks:
--   agency (area, historical): every catalogue agency, unless it stopped working
--     (dim_agency.active_until) before the period began;
--   province: each province of the catalogue, area and tier, historical and current;
--   commune, district (area and tier): historical, every unit version in force during the period;
--     current, every unit in force today.
-- Beside them, the rows with figures only: an agency closed before the period that still had
-- figures, the unknown member; and an aggregate indicator's rows as its measure gives them.
with catalogue as (
    select
        indicator_id,
        aggregate
    from {{ ref('indicator_catalogue') }}
    where measure is not null
),

periods as (
    select
        periods.indicator_id,
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        catalogue.aggregate
    from {{ ref('int_indicator_periods') }} as periods
    inner join catalogue
        on periods.indicator_id = catalogue.indicator_id
),

-- The name of an agency is that of its newest catalogue version; closed_at is when it stopped
-- working (dim_agency.active_until of that version: NULL while it is in the catalogue and its unit
-- of government exists).
named_agencies as (
    select distinct on (agency_id)
        agency_id,
        agency_name,
        active_until as closed_at,
        coalesce({{ agency_province('agency_id') }}, 'unknown') as province_id
    from {{ ref('dim_agency') }}
    order by agency_id asc, valid_from desc
),

-- a province other than the installation's carries the name of its People's Committee
-- (000.00.00.H57)
committee_names as (
    select
        province_id,
        agency_name as province_name
    from named_agencies
    where agency_id = '000.00.00.' || province_id
),

-- the agency-id province codes of the installation's province: those of agencies whose unit of
-- government is in it (dim_admin_unit holds only var province_code's units)
own_province_ids as (
    select distinct {{ agency_province('agency_id') }} as province_id
    from {{ ref('dim_agency') }}
    where admin_unit_level is not null
),

-- the installation's province as the admin-unit seed names it, version by version
own_province_versions as (
    select
        upper(left(unit_name, 1)) || substr(unit_name, 2) as province_name,
        valid_from,
        coalesce(valid_to, 'infinity'::date) as valid_to
    from {{ ref('dim_admin_unit') }}
    where unit_level = 'province' and unit_code = '{{ var("province_code") }}'
),

unit_versions as (
    select
        unit_code,
        unit_level,
        unit_name,
        valid_from,
        coalesce(valid_to, 'infinity'::date) as valid_to
    from {{ ref('admin_units') }}
    where unit_level in ('commune', 'district')
),

level_keys as (
    select
        scopes.scope,
        views.view
    from (values ('area'), ('tier')) as scopes (scope)
    cross join (values ('historical'), ('current')) as views (view)  -- noqa: RF04
),

expected as (
    select
        periods.indicator_id,
        periods.period_kind,
        periods.period_start,
        'agency' as level,  -- noqa: RF04
        'area' as scope,
        'historical' as view,  -- noqa: RF04
        named_agencies.agency_id as unit_id
    from periods
    cross join named_agencies
    where
        not periods.aggregate
        and (
            named_agencies.closed_at is null
            or named_agencies.closed_at > {{ local_midnight('periods.period_start') }}
        )
    union
    select
        periods.indicator_id,
        periods.period_kind,
        periods.period_start,
        'province' as level,  -- noqa: RF04
        level_keys.scope,
        level_keys.view,
        named_agencies.province_id as unit_id
    from periods
    cross join named_agencies
    cross join level_keys
    where not periods.aggregate
    union
    select distinct
        periods.indicator_id,
        periods.period_kind,
        periods.period_start,
        unit_versions.unit_level as level,  -- noqa: RF04
        level_keys.scope,
        level_keys.view,
        unit_versions.unit_code as unit_id
    from periods
    cross join unit_versions
    cross join level_keys
    where
        not periods.aggregate
        and (
            (
                level_keys.view = 'historical'
                and periods.period_end > unit_versions.valid_from
                and periods.period_start < unit_versions.valid_to
            )
            or (level_keys.view = 'current' and unit_versions.valid_to = 'infinity'::date)
        )
),

with_figures as (
    select
        figures.indicator_id,
        figures.period_kind,
        figures.period_start,
        figures.level,
        figures.scope,
        figures.view,
        figures.unit_id
    from {{ ref('int_indicator_unit_figures') }} as figures
    inner join periods
        on
            figures.indicator_id = periods.indicator_id
            and figures.period_kind = periods.period_kind
            and figures.period_start = periods.period_start
    union
    select
        measured.indicator_id,
        measured.period_kind,
        measured.period_start,
        measured.level,
        measured.scope,
        measured.view,
        measured.unit_id
    from {{ ref('int_indicator_measures') }} as measured
    inner join periods
        on
            measured.indicator_id = periods.indicator_id
            and measured.period_kind = periods.period_kind
            and measured.period_start = periods.period_start
    where periods.aggregate
),

keyed as (
    select
        *,
        true as is_expected
    from expected
    union all
    select
        *,
        false as is_expected
    from with_figures
),

unit_rows as (
    select
        indicator_id,
        period_kind,
        period_start,
        level,
        scope,
        view,  -- noqa: RF04
        unit_id,
        bool_or(is_expected) as is_expected
    from keyed
    group by indicator_id, period_kind, period_start, level, scope, view, unit_id
),

-- a unit's name in a period: its version in force at the period's end (historical), today's
-- (current)
unit_keys as (
    select distinct
        period_kind,
        period_start,
        (period_start + {{ period_length('period_kind') }})::date as period_end,
        level,
        view,  -- noqa: RF04
        unit_id
    from unit_rows
    where level in ('commune', 'district')
),

unit_names as (
    select distinct on (
        unit_keys.period_kind, unit_keys.period_start, unit_keys.level, unit_keys.view, unit_keys.unit_id
    )
        unit_keys.period_kind,
        unit_keys.period_start,
        unit_keys.level,
        unit_keys.view,
        unit_keys.unit_id,
        unit_versions.unit_name
    from unit_keys
    inner join unit_versions
        on
            unit_keys.unit_id = unit_versions.unit_code
            and unit_keys.level = unit_versions.unit_level
            and (
                (unit_keys.view = 'historical' and unit_keys.period_end > unit_versions.valid_from)
                or (unit_keys.view = 'current' and unit_versions.valid_to = 'infinity'::date)
            )
    order by
        unit_keys.period_kind asc,
        unit_keys.period_start asc,
        unit_keys.level asc,
        unit_keys.view asc,
        unit_keys.unit_id asc,
        unit_versions.valid_from desc
),

-- a province row's name: the installation's province in force at the period's end (historical) or
-- today (current); another province's, its People's Committee's
province_names as (
    select distinct on (
        province_keys.period_kind, province_keys.period_start, province_keys.view, province_keys.unit_id
    )
        province_keys.period_kind,
        province_keys.period_start,
        province_keys.view,
        province_keys.unit_id,
        coalesce(own_province_versions.province_name, committee_names.province_name) as province_name
    from (
        select distinct
            period_kind,
            period_start,
            (period_start + {{ period_length('period_kind') }})::date as period_end,
            view,  -- noqa: RF04
            unit_id
        from unit_rows
        where level = 'province'
    ) as province_keys
    left join own_province_ids
        on province_keys.unit_id = own_province_ids.province_id
    left join own_province_versions
        on
            own_province_ids.province_id is not null
            and (
                (province_keys.view = 'historical' and province_keys.period_end > own_province_versions.valid_from)
                or (province_keys.view = 'current' and own_province_versions.valid_to = 'infinity'::date)
            )
    left join committee_names
        on province_keys.unit_id = committee_names.province_id
    order by
        province_keys.period_kind asc,
        province_keys.period_start asc,
        province_keys.view asc,
        province_keys.unit_id asc,
        own_province_versions.valid_from desc nulls last
)

select
    unit_rows.indicator_id,
    unit_rows.period_kind,
    unit_rows.period_start,
    unit_rows.level,
    unit_rows.scope,
    unit_rows.view,  -- noqa: RF04
    unit_rows.unit_id,
    case
        when unit_rows.level = 'agency' and unit_rows.unit_id = 'unknown'
            then 'Không xác định (mã không có trong danh mục)'
        when unit_rows.level = 'agency' then coalesce(named_agencies.agency_name, unit_rows.unit_id)
        when unit_rows.level = 'province' then coalesce(province_names.province_name, unit_rows.unit_id)
        else coalesce(unit_names.unit_name, unit_rows.unit_id)
    end as unit_name,
    unit_rows.unit_id = 'unknown' as is_unknown_member,
    unit_rows.is_expected
from unit_rows
left join named_agencies
    on unit_rows.level = 'agency' and unit_rows.unit_id = named_agencies.agency_id
left join province_names
    on
        unit_rows.level = 'province'
        and unit_rows.period_kind = province_names.period_kind
        and unit_rows.period_start = province_names.period_start
        and unit_rows.view = province_names.view
        and unit_rows.unit_id = province_names.unit_id
left join unit_names
    on
        unit_rows.period_kind = unit_names.period_kind
        and unit_rows.period_start = unit_names.period_start
        and unit_rows.level = unit_names.level
        and unit_rows.view = unit_names.view
        and unit_rows.unit_id = unit_names.unit_id
