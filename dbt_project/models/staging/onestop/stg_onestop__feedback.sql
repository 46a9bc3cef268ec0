-- The latest version of every feedback item (PAKN): the source re-sends an item whole on each
-- change. The petitioner's (pseudonymised) name, id, contacts and the text are not kept.
with ranked_versions as (
    select
        feedback.ma_pakn as feedback_id,
        feedback.source_updated_at,
        feedback.record,
        feedback.batch_id,
        feedback.loaded_at,
        row_number() over (
            partition by feedback.ma_pakn
            order by feedback.source_updated_at desc, md5(feedback.record::text) desc
        ) as recency
    from {{ live_rows(source('onestop', 'feedback')) }} as feedback
)

select
    ranked_versions.feedback_id,
    {{ onestop_code("ranked_versions.record ->> 'TrangThai'") }} as status_code,
    nullif(btrim(ranked_versions.record ->> 'MaHoSo'), '') as dossier_code,
    coalesce(codes.dossier_id, nullif(btrim(ranked_versions.record ->> 'MaHoSo'), '')) as dossier_id,
    nullif(btrim(ranked_versions.record ->> 'MaTTHC'), '') as procedure_id,
    nullif(btrim(ranked_versions.record ->> 'MaDonVi'), '') as agency_id,
    {{ onestop_ts("ranked_versions.record ->> 'NgayTiepNhan'") }} as received_at,
    {{ onestop_ts("ranked_versions.record ->> 'NgayTuChoi'") }} as refused_at,
    {{ onestop_ts("ranked_versions.record ->> 'NgayYeuCauBoSung'") }} as supplement_requested_at,
    {{ onestop_ts("ranked_versions.record ->> 'NgayTraLoi'") }} as answered_at,
    {{ onestop_ts("ranked_versions.record ->> 'NgayCapNhat'") }} as version_updated_at,
    ranked_versions.batch_id,
    ranked_versions.loaded_at
from ranked_versions
left join {{ ref('stg_onestop__dossier_codes') }} as codes
    on btrim(ranked_versions.record ->> 'MaHoSo') = codes.alt_code
where ranked_versions.recency = 1
