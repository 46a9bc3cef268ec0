-- The latest catalogue snapshot of every procedure (LayThuTuc record).
with ranked_snapshots as (
    select
        procedure_snapshots.ma_tthc,
        procedure_snapshots.record,
        procedure_snapshots.source_updated_at,
        procedure_snapshots.batch_id,
        procedure_snapshots.loaded_at,
        row_number() over (
            partition by procedure_snapshots.ma_tthc
            order by procedure_snapshots.loaded_at desc, procedure_snapshots.batch_id desc
        ) as recency
    from {{ source('onestop', 'procedures') }} as procedure_snapshots
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
from ranked_snapshots
where recency = 1
