-- The latest catalogue snapshot of every agency (LayDanhMucCoQuan record).
with ranked_snapshots as (
    select
        agencies.ma_don_vi,
        agencies.record,
        agencies.source_updated_at,
        agencies.batch_id,
        agencies.loaded_at,
        row_number() over (
            partition by agencies.ma_don_vi
            order by agencies.loaded_at desc, agencies.batch_id desc
        ) as recency
    from {{ source('onestop', 'agencies') }} as agencies
)

select
    ma_don_vi as agency_id,
    nullif(record ->> 'TENDONVI', '') as agency_name,
    nullif(record ->> 'CAPDONVI', '') as agency_level_code,
    nullif(record ->> 'MADONVICHA', '') as parent_agency_id,
    nullif(record ->> 'MADVHC', '') as admin_unit_code,
    source_updated_at,
    batch_id,
    loaded_at
from ranked_snapshots
where recency = 1
