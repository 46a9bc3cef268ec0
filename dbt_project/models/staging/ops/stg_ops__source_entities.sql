-- The source registry as ingestion wrote it (read-only here): which entities each source has and
-- how each is pulled (window, snapshot, cursor, queue); all but snapshots define its coverage.
select
    source as source_name,
    entity as entity_name,
    windowed as is_windowed,
    pull_mode,
    raw_table
from {{ source('ops', 'source_entities') }}
