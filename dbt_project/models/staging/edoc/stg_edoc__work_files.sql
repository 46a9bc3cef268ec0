-- Work files (hồ sơ công việc) as their latest version says, one row per work file.
with versions as (
    select
        work_file_id,
        record,
        updated_at,
        batch_id,
        loaded_at,
        row_number() over (
            partition by work_file_id order by updated_at desc, loaded_at desc, batch_id desc
        ) as version_rank
    from {{ live_rows(source('edoc', 'work_files')) }}
)

select
    work_file_id,
    record ->> 'agency' as agency_id,
    {{ onestop_ts("record ->> 'opened'") }} as opened_at,
    {{ onestop_ts("record ->> 'closed'") }} as closed_at,
    (record ->> 'processed_online')::boolean as is_processed_online,
    (record ->> 'signed_personally')::boolean as is_signed_personally,
    updated_at,
    batch_id,
    loaded_at
from versions
where version_rank = 1
