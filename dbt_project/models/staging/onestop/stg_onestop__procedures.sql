-- Every stored state of every procedure of the catalogue (LayThuTuc records), tombstones
-- included, renamed and cast. The history (one row per version) is int_onestop__procedure_versions.
select
    ma_tthc as procedure_id,
    nullif(record ->> 'TENTTHC', '') as procedure_name,
    nullif(record -> 'LINHVUCTHUCHIEN' -> 0 ->> 'MALINHVUC', '') as field_code,
    nullif(record -> 'LINHVUCTHUCHIEN' -> 0 ->> 'TENLINHVUC', '') as field_name,
    nullif(record ->> 'CAPTHUCHIEN', '') as procedure_level_code,
    nullif(record -> 'COQUANTHUCHIEN' -> 0 ->> 'MADONVI', '') as implementing_agency_id,
    nullif(record -> 'COQUANTHUCHIEN' -> 0 ->> 'TENDONVI', '') as implementing_agency_name,
    {{ onestop_code("record ->> 'MUCDODVC'") }} as online_level_code,
    {{ onestop_flag("record ->> 'DUDIEUKIENTOANTRINH'") }} as is_full_process_eligible,
    nullif(record ->> 'TRANGTHAI', '') as status_code,
    {{ onestop_array("record -> 'CACHTHUCTHUCHIEN'") }} as delivery_methods,
    {{ onestop_array("record -> 'COQUANTHUCHIEN'") }} as implementing_agencies,
    record_hash,
    is_deleted,
    observed_at,
    source_updated_at,
    batch_id,
    loaded_at
from {{ live_rows(source('onestop', 'procedures')) }} as procedure_states
