{% macro latest_snapshot(source_relation, key_column) %}
    {#- The current state of a catalogue stored by change (a raw table pulled whole on each run):
        the newest stored version of every key (latest observed_at, then the latest batch);
        a key whose newest version is a tombstone (is_deleted) has left the catalogue and is
        left out. -#}
    select
        snapshots.{{ key_column }},
        snapshots.record,
        snapshots.source_updated_at,
        snapshots.batch_id,
        snapshots.loaded_at
    from (
        select
            {{ key_column }},
            record,
            source_updated_at,
            batch_id,
            loaded_at,
            is_deleted,
            row_number() over (
                partition by {{ key_column }}
                order by observed_at desc, batch_id desc
            ) as recency
        from {{ source_relation }}
    ) as snapshots
    where snapshots.recency = 1 and not snapshots.is_deleted
{% endmacro %}
