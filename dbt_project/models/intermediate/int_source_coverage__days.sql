-- Coverage per source and local day, from the batch ledger: a day is covered by a source when
-- every windowed entity of the source (ops.source_entities) has live batches (`live_batch_ids`) spanning the
-- whole day (one gap-free run of intervals from local midnight to the next). A partly loaded day
-- is not covered. No source is named here: the registry says which entities count.
with windowed_entities as (
    select
        source_name,
        entity_name
    from {{ ref('stg_ops__source_entities') }}
    where is_windowed
),

entity_counts as (
    select
        source_name,
        count(*) as windowed_entity_count
    from windowed_entities
    group by source_name
),

live_batches as (
    select
        batches.source_name,
        batches.entity_name,
        batches.interval_start,
        batches.interval_end
    from {{ ref('stg_ops__batches') }} as batches
    inner join windowed_entities
        on
            batches.source_name = windowed_entities.source_name
            and batches.entity_name = windowed_entities.entity_name
    where batches.batch_id in ({{ live_batch_ids() }})
),

ordered_batches as (
    select
        source_name,
        entity_name,
        interval_start,
        interval_end,
        max(interval_end) over (
            partition by source_name, entity_name
            order by interval_start, interval_end
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from live_batches
),

island_starts as (
    select
        source_name,
        entity_name,
        interval_start,
        interval_end,
        sum(case when previous_end >= interval_start then 0 else 1 end) over (
            partition by source_name, entity_name
            order by interval_start, interval_end
            rows between unbounded preceding and current row
        ) as island_id
    from ordered_batches
),

islands as (
    select
        source_name,
        entity_name,
        min(interval_start) as island_start,
        max(interval_end) as island_end
    from island_starts
    group by source_name, entity_name, island_id
),

island_bounds as (
    select
        source_name,
        entity_name,
        island_start,
        island_end,
        {{ local_date('island_start') }} as first_date,
        {{ local_date('island_end') }} as last_date
    from islands
),

candidate_days as (
    select
        island_bounds.source_name,
        island_bounds.entity_name,
        island_bounds.island_start,
        island_bounds.island_end,
        (island_bounds.first_date + day_offsets.day_offset) as covered_date
    from island_bounds
    cross join lateral generate_series(
        0,
        island_bounds.last_date - island_bounds.first_date
    ) as day_offsets (day_offset)
),

entity_days as (
    select distinct
        source_name,
        entity_name,
        covered_date
    from candidate_days
    where
        {{ local_midnight('covered_date') }} >= island_start
        and {{ local_midnight('covered_date + 1') }} <= island_end
)

select
    entity_days.source_name,
    entity_days.covered_date,
    {{ local_midnight('entity_days.covered_date') }} as day_start,
    {{ local_midnight('entity_days.covered_date + 1') }} as day_end
from entity_days
inner join entity_counts
    on entity_days.source_name = entity_counts.source_name
group by entity_days.source_name, entity_days.covered_date, entity_counts.windowed_entity_count
having count(distinct entity_days.entity_name) = entity_counts.windowed_entity_count
