-- The latest catalogue snapshot of every agency (LayDanhMucCoQuan record).
with latest_snapshots as (
    {{ latest_snapshot(source('onestop', 'agencies'), 'ma_don_vi') }}
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
from latest_snapshots
