-- What each source entity sent per local month of its batches (month of the interval start): the
-- records received, loaded into raw and refused by the loader (ops.rejects), over its live
-- batches only (`live_batch_ids`: a backfill's build, its staged ones in their place) — a replaced or
-- failed attempt is not what the figures are built from.
with live_batches as (
    select
        batches.source_name,
        batches.entity_name,
        date_trunc('month', {{ local_date('batches.interval_start') }})::date as period_month,
        batches.rows_loaded,
        batches.rows_rejected
    from {{ ref('stg_ops__batches') }} as batches
    where batches.batch_id in ({{ live_batch_ids() }})
),

months as (
    select
        source_name,
        entity_name,
        period_month,
        count(*) as batches,
        sum(rows_loaded) as records_loaded,
        sum(rows_rejected) as records_rejected
    from live_batches
    group by source_name, entity_name, period_month
)

select
    source_name,
    entity_name,
    period_month,
    batches,
    records_loaded + records_rejected as records_received,
    records_loaded,
    records_rejected,
    records_rejected::numeric / nullif(records_loaded + records_rejected, 0) as reject_share
from months
