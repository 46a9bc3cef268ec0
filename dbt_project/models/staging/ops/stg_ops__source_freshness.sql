-- The latest freshness check of each source (recorded by each build before dbt build runs).
select distinct on (source)
    source as source_name,
    status,
    newest_loaded_at,
    checked_at,
    status <> 'pass' as is_stale
from {{ source('ops', 'source_freshness') }}
order by source asc, checked_at desc, source_freshness_id desc
