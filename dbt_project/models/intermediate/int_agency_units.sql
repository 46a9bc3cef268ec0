-- The unit of government each agency belongs to at each moment: its catalogue code MADVHC
-- (admin_unit_code) read against the unit versions of that code, as ranges facts join on their
-- event time (valid_from <= t < valid_to). An agency's first catalogue version also describes it
-- before it was first seen (the catalogue is pulled whole, so its history starts late).
with agency_versions as (
    select
        agency_id,
        admin_unit_code,
        case
            when row_number() over (partition by agency_id order by valid_from) = 1 then '-infinity'::timestamptz
            else valid_from
        end as valid_from,
        coalesce(valid_to, 'infinity'::timestamptz) as valid_to
    from {{ ref('int_onestop__agency_versions') }}
    where admin_unit_code is not null
),

unit_versions as (
    select
        unit_code,
        valid_from as unit_valid_from,
        {{ local_midnight('valid_from') }} as valid_from_at,
        coalesce({{ local_midnight('valid_to') }}, 'infinity'::timestamptz) as valid_to_at
    from {{ ref('admin_units') }}
)

select
    agency_versions.agency_id,
    agency_versions.admin_unit_code,
    unit_versions.unit_valid_from,
    greatest(agency_versions.valid_from, unit_versions.valid_from_at) as valid_from,
    least(agency_versions.valid_to, unit_versions.valid_to_at) as valid_to
from agency_versions
inner join unit_versions
    on
        agency_versions.admin_unit_code = unit_versions.unit_code
        and agency_versions.valid_from < unit_versions.valid_to_at
        and agency_versions.valid_to > unit_versions.valid_from_at
