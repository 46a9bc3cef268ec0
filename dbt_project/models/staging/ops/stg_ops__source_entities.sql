-- The source registry as ingestion wrote it (read-only here): which entities each source has and
-- which of them are pulled by data interval (windowed) and so define the source's coverage.
select
    source as source_name,
    entity as entity_name,
    windowed as is_windowed,
    raw_table
from {{ source('ops', 'source_entities') }}
