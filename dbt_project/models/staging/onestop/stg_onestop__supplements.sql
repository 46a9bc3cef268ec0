-- One row per supplement request (DanhSachHoSoBoSung) of a dossier's latest version.
select
    dossiers.dossier_id,
    requests.ordinal::integer as supplement_ordinal,
    nullif(requests.request ->> 'HoSoBoSungId', '') as supplement_id,
    {{ onestop_ts("requests.request ->> 'NgayBoSung'") }} as requested_at,
    {{ onestop_ts("requests.request ->> 'NgayTiepNhanBoSung'") }} as supplied_at,
    nullif(requests.request ->> 'TrangThaiBoSung', '') as supplement_status_code,
    {{ onestop_ts("requests.request ->> 'NgayHenTraTruoc'") }} as promised_before,
    {{ onestop_ts("requests.request ->> 'NgayHenTraMoi'") }} as promised_after
from {{ ref('stg_onestop__dossiers') }} as dossiers
cross join lateral jsonb_array_elements(dossiers.supplements) with ordinality as requests (request, ordinal)
