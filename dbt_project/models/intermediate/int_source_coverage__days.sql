-- Coverage per source and local day: a day is covered by a source when every windowed entity of
-- the source (ops.source_entities) has live batches (`live_batch_ids`) spanning the whole day (one
-- gap-free run of intervals from local midnight to the next), and every cursor or queue entity
-- has loaded event times beyond the day (from the day of the first it loaded to the last day
-- ending at or before the latest, ops.watermarks). A partly loaded day is not covered; a
-- catalogue (snapshot) does not count. No source is named here: the registry says which entities count.
with covering_entities as (
    select
        source_name,
        entity_name,
        pull_mode
    from {{ ref('stg_ops__source_entities') }}
    where pull_mode in ('window', 'cursor', 'queue')
),

windowed_entities as (
    select
        source_name,
        entity_name
    from covering_entities
    where pull_mode = 'window'
),

entity_counts as (
    select
        source_name,
        count(*) as covering_entity_count
    from covering_entities
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

window_days as (
    select distinct
        source_name,
        entity_name,
        covered_date
    from candidate_days
    where
        {{ local_midnight('covered_date') }} >= island_start
        and {{ local_midnight('covered_date + 1') }} <= island_end
),

event_time_spans as (
    select
        event_times.source_name,
        event_times.entity_name,
        {{ local_date('event_times.event_time_from') }} as first_date,
        {{ local_date('event_times.event_time') }} as latest_date,
        event_times.event_time
    from {{ ref('stg_ops__event_times') }} as event_times
    inner join covering_entities
        on
            event_times.source_name = covering_entities.source_name
            and event_times.entity_name = covering_entities.entity_name
    where covering_entities.pull_mode in ('cursor', 'queue')
),

event_time_candidates as (
    select
        event_time_spans.source_name,
        event_time_spans.entity_name,
        event_time_spans.event_time,
        (event_time_spans.first_date + day_offsets.day_offset) as covered_date
    from event_time_spans
    cross join lateral generate_series(
        0,
        event_time_spans.latest_date - event_time_spans.first_date
    ) as day_offsets (day_offset)
),

event_time_days as (
    select
        source_name,
        entity_name,
        covered_date
    from event_time_candidates
    where {{ local_midnight('covered_date + 1') }} <= event_time
),

entity_days as (
    select
        source_name,
        entity_name,
        covered_date
    from window_days
    union all
    select
        source_name,
        entity_name,
        covered_date
    from event_time_days
)

select
    entity_days.source_name,
    entity_days.covered_date,
    {{ local_midnight('entity_days.covered_date') }} as day_start,
    {{ local_midnight('entity_days.covered_date + 1') }} as day_end
from entity_days
inner join entity_counts
    on entity_days.source_name = entity_counts.source_name
group by entity_days.source_name, entity_days.covered_date, entity_counts.covering_entity_count
having count(distinct entity_days.entity_name) = entity_counts.covering_entity_count
