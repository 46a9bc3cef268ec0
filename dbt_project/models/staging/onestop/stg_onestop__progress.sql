-- Progress rows (processing steps), keyed by the resolved dossier id and deduplicated on
-- (dossier, time, status): overlapping windows send the same step twice.
with raw_progress as (
    select
        coalesce(codes.dossier_id, progress.ma_ho_so) as dossier_id,
        progress.ma_ho_so as source_code,
        progress.record,
        progress.batch_id,
        progress.loaded_at,
        row_number() over (
            partition by
                coalesce(codes.dossier_id, progress.ma_ho_so),
                progress.record ->> 'ThoiDiemXuLy',
                progress.record ->> 'TrangThai'
            order by progress.loaded_at desc, progress.batch_id desc
        ) as copy_rank
    from {{ live_rows(source('onestop', 'progress')) }} as progress
    left join {{ ref('stg_onestop__dossier_codes') }} as codes
        on progress.ma_ho_so = codes.alt_code
)

select
    dossier_id,
    source_code,
    {{ onestop_ts("record ->> 'ThoiDiemXuLy'") }} as processed_at,
    {{ onestop_code("record ->> 'TrangThai'") }} as status_code,
    nullif(record ->> 'NoiDungXuLy', '') as action_description,
    nullif(record ->> 'PhongBanXuLy', '') as department_name,
    nullif(record ->> 'ChucDanh', '') as handler_title,
    {{ onestop_ts("record ->> 'NgayBatDau'") }} as step_started_at,
    {{ onestop_ts("record ->> 'NgayKetThucTheoQuyDinh'") }} as step_due_at,
    batch_id,
    loaded_at
from raw_progress
where copy_rank = 1
