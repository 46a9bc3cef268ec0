{% macro onestop_catalogue_versions(snapshots, key_column, columns) %}
    {#- Validity ranges from the stored states of a catalogue (a raw table pulled whole, storing
        only new or changed records and a tombstone when a key disappears; staged as `snapshots`):
        1. one state per key and observation instant (a re-run of the same interval stores it
           again: the latest load wins);
        2. consecutive states with the same hash and deletion flag collapse into one (an
           out-of-order backfill may store the same state twice);
        3. each remaining state starts a version, valid until the next one starts; a tombstone
           only closes the version before it and is not a version itself. -#}
    with observations as (
        select
            {{ key_column }},
            {% for column in columns %}{{ column }},
            {% endfor %}record_hash,
            is_deleted,
            observed_at,
            row_number() over (
                partition by {{ key_column }}, observed_at
                order by loaded_at desc, batch_id desc
            ) as copy_rank
        from {{ snapshots }}
    ),

    compared as (
        select
            {{ key_column }},
            {% for column in columns %}{{ column }},
            {% endfor %}record_hash,
            is_deleted,
            observed_at,
            lag(record_hash) over (partition by {{ key_column }} order by observed_at) as previous_hash,
            lag(is_deleted) over (partition by {{ key_column }} order by observed_at) as previous_is_deleted
        from observations
        where copy_rank = 1
    ),

    changes as (
        select
            {{ key_column }},
            {% for column in columns %}{{ column }},
            {% endfor %}record_hash,
            is_deleted,
            observed_at as valid_from,
            lead(observed_at) over (partition by {{ key_column }} order by observed_at) as valid_to
        from compared
        where
            previous_hash is null
            or previous_hash <> record_hash
            or previous_is_deleted <> is_deleted
    )

    select
        {{ key_column }},
        {% for column in columns %}{{ column }},
        {% endfor %}record_hash,
        valid_from,
        valid_to,
        valid_to is null as is_current
    from changes
    where not is_deleted
{% endmacro %}
