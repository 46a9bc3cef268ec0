-- The latest catalogue snapshot of every procedure (LayThuTuc record).
with latest_snapshots as (
    {{ latest_snapshot(source('onestop', 'procedures'), 'ma_tthc') }}
)

select
    ma_tthc as procedure_id,
    nullif(record ->> 'TENTTHC', '') as procedure_name,
    nullif(record -> 'LINHVUCTHUCHIEN' -> 0 ->> 'MALINHVUC', '') as field_code,
    nullif(record -> 'LINHVUCTHUCHIEN' -> 0 ->> 'TENLINHVUC', '') as field_name,
    nullif(record ->> 'CAPTHUCHIEN', '') as procedure_level_code,
    nullif(record -> 'COQUANTHUCHIEN' -> 0 ->> 'MADONVI', '') as implementing_agency_id,
    nullif(record -> 'COQUANTHUCHIEN' -> 0 ->> 'TENDONVI', '') as implementing_agency_name,
    nullif(btrim(record ->> 'MUCDODVC'), '') as online_level_code,
    {{ onestop_flag("record ->> 'DUDIEUKIENTOANTRINH'") }} as is_full_process_eligible,
    nullif(record ->> 'TRANGTHAI', '') as status_code,
    {{ onestop_array("record -> 'CACHTHUCTHUCHIEN'") }} as delivery_methods,
    source_updated_at,
    batch_id,
    loaded_at
from latest_snapshots
