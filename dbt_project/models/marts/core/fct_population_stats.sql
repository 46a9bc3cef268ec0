-- Residents and VNeID accounts per commune and month, as last published (a figure revised after its
-- month keeps its latest version), with the version of the commune in force on the month's first
-- day (communes merged on 1 July 2025 report under their new code from July).
with figures as (
    select
        commune_code,
        month_start,
        published_at,
        residents,
        level1_accounts,
        level2_accounts,
        version_count
    from {{ ref('stg_population__figures') }}
)

select
    commune_code,
    {{ unit_valid_from_at('commune_code', 'month_start') }} as admin_unit_valid_from,
    month_start,
    residents,
    level1_accounts,
    level2_accounts,
    published_at,
    version_count > 1 as is_revised
from figures
