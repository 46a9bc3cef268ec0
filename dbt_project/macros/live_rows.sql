{#- The batches a build reads: the live ones (batch_statuses.is_live). A backfill's build (dbt var
    `backfill_id`, passed by the build task of a backfill run) reads that backfill's staged batches
    in place of the live batches of the same intervals (ingestion/backfills.py). -#}
{% macro live_batch_ids() -%}
    {%- set backfill_id = var('backfill_id', none) -%}
    select live.batch_id
    from {{ source('ops', 'batches') }} as live
    inner join {{ ref('batch_statuses') }} as statuses
        on live.status = statuses.status
    where
        statuses.is_live
        {%- if backfill_id is not none %}
        and not exists (
            select
            from {{ source('ops', 'batches') }} as staged
            where
                staged.backfill_id = {{ backfill_id | int }}
                and staged.status = 'staged'
                and staged.source = live.source
                and staged.entity = live.entity
                and staged.interval_start = live.interval_start
                and staged.interval_end = live.interval_end
        )
    union all
    select staged.batch_id
    from {{ source('ops', 'batches') }} as staged
    where
        staged.backfill_id = {{ backfill_id | int }}
        and staged.status = 'staged'
        {%- endif %}
{%- endmacro %}

{#- The rows of a raw table that belong to the batches a build reads (`live_batch_ids`): raw also
    holds staged batches' rows, which an ordinary build must not see. Filtered on the raw table's
    indexed batch_id. -#}
{% macro live_rows(raw_relation) -%}
    (
        select *
        from {{ raw_relation }}
        where batch_id in ({{ live_batch_ids() }})
    )
{%- endmacro %}
