-- Every stored state of every agency of the catalogue (LayDanhMucCoQuan records), tombstones
-- included, renamed and cast. The history (one row per version) is int_onestop__agency_versions.
select
    ma_don_vi as agency_id,
    nullif(record ->> 'TENDONVI', '') as agency_name,
    {{ onestop_code("record ->> 'CAPDONVI'") }} as agency_level_code,
    nullif(record ->> 'MADONVICHA', '') as parent_agency_id,
    nullif(record ->> 'MADVHC', '') as admin_unit_code,
    record_hash,
    is_deleted,
    observed_at,
    source_updated_at,
    batch_id,
    loaded_at
from {{ live_rows(source('onestop', 'agencies')) }} as agency_states
