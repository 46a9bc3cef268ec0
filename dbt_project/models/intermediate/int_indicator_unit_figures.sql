-- Additive indicators' figures per period, level, scope, view and unit: sums of the measures'
-- numerators and denominators (a duration is a sum over a count, never an average of averages).
--   agency (area, historical): the agency's measures; an agency id the catalogue does not know
--     (e.g. 999.99.99.H57), or a record whose agency could not be found ('unknown'), goes to the
--     one explicit unknown member of its province, never to a row named after the raw code.
--   province: area = all its agencies' (the same in both views: provinces are keyed by the
--     agencies' level-1 code); tier = its provincial agencies' only.
--   commune, district: the records' units of government (int_indicator_units).
-- Every key is a unit with figures; the rows without any are int_indicator_unit_rows'.
with additive_measures as (
    select
        measured.indicator_id,
        measured.period_kind,
        measured.period_start,
        measured.unit_id as measured_agency_id,
        measured.admin_unit_code,
        measured.admin_unit_valid_from,
        measured.numerator,
        measured.denominator
    from {{ ref('int_indicator_measures') }} as measured
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on measured.indicator_id = catalogue.indicator_id
    where not catalogue.aggregate
),

catalogue_agencies as (
    select distinct on (agency_id)
        agency_id,
        tier,
        coalesce({{ agency_province('agency_id') }}, 'unknown') as province_id
    from {{ ref('dim_agency') }}
    order by agency_id asc, valid_from desc
),

-- the catalogue's province when it has only one
sole_province as (
    select case when count(distinct province_id) = 1 then min(province_id) end as province_id
    from catalogue_agencies
),

resolved as (
    select
        additive_measures.*,
        coalesce(catalogue_agencies.agency_id, 'unknown') as agency_id,
        coalesce(
            catalogue_agencies.province_id,
            {{ agency_province('additive_measures.measured_agency_id') }},
            sole_province.province_id,
            'unknown'
        ) as province_id,
        catalogue_agencies.tier
    from additive_measures
    cross join sole_province
    left join catalogue_agencies
        on additive_measures.measured_agency_id = catalogue_agencies.agency_id
),

placed as (
    select
        indicator_id,
        period_kind,
        period_start,
        'agency' as level,  -- noqa: RF04
        'area' as scope,
        'historical' as view,  -- noqa: RF04
        agency_id as unit_id,
        numerator,
        denominator
    from resolved
    union all
    select
        resolved.indicator_id,
        resolved.period_kind,
        resolved.period_start,
        'province' as level,  -- noqa: RF04
        scopes.scope,
        views.view,
        resolved.province_id as unit_id,
        resolved.numerator,
        resolved.denominator
    from resolved
    cross join (values ('area'), ('tier')) as scopes (scope)
    cross join (values ('historical'), ('current')) as views (view)  -- noqa: RF04
    where scopes.scope = 'area' or resolved.tier = 'province'
    union all
    select
        resolved.indicator_id,
        resolved.period_kind,
        resolved.period_start,
        units.level,
        units.scope,
        units.view,
        units.unit_id,
        resolved.numerator,
        resolved.denominator
    from resolved
    inner join {{ ref('int_indicator_units') }} as units
        on
            resolved.measured_agency_id = units.agency_id
            and resolved.admin_unit_code = units.admin_unit_code
            and resolved.admin_unit_valid_from = units.admin_unit_valid_from
            and resolved.period_kind = units.period_kind
            and resolved.period_start = units.period_start
)

select
    indicator_id,
    period_kind,
    period_start,
    level,
    scope,
    view,  -- noqa: RF04
    unit_id,
    sum(numerator) as numerator,
    sum(denominator) as denominator
from placed
group by indicator_id, period_kind, period_start, level, scope, view, unit_id
