-- Agencies of the one-stop-shop catalogue (latest snapshot).
select
    agency_id,
    agency_name,
    agency_level_code,
    case agency_level_code
        when '1' then 'provincial_people_committee'
        when '2' then 'department'
        when '3' then 'commune_people_committee'
        else 'other'
    end as agency_level,
    parent_agency_id,
    admin_unit_code,
    source_updated_at
from {{ ref('stg_onestop__agencies') }}
