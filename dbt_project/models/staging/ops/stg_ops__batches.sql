-- The ingestion batch ledger (read-only here): which intervals of which source entity are loaded.
select
    batch_id,
    source as source_name,
    entity as entity_name,
    interval_start,
    interval_end,
    status,
    rows_loaded,
    rows_rejected,
    started_at,
    finished_at
from {{ source('ops', 'batches') }}
