{% macro latest_snapshot(source_relation, key_column) %}
    {#- The rows of the newest load of every key in a raw table pulled whole on each run
        (a catalogue): the latest loaded_at wins, then the latest batch. -#}
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
            row_number() over (
                partition by {{ key_column }}
                order by loaded_at desc, batch_id desc
            ) as recency
        from {{ source_relation }}
    ) as snapshots
    where snapshots.recency = 1
{% endmacro %}
