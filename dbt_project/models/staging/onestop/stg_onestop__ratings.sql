-- Satisfaction ratings, keyed by the resolved dossier id and deduplicated on (dossier, rating
-- time): overlapping windows send a rating twice. The rater's (pseudonymised) name is not kept.
with raw_ratings as (
    select
        coalesce(codes.dossier_id, ratings.ma_ho_so) as dossier_id,
        ratings.ma_ho_so as source_code,
        ratings.record,
        ratings.batch_id,
        ratings.loaded_at,
        row_number() over (
            partition by coalesce(codes.dossier_id, ratings.ma_ho_so), ratings.source_updated_at
            order by ratings.loaded_at desc, ratings.batch_id desc, md5(ratings.record::text) desc
        ) as copy_rank
    from {{ live_rows(source('onestop', 'ratings')) }} as ratings
    left join {{ ref('stg_onestop__dossier_codes') }} as codes
        on ratings.ma_ho_so = codes.alt_code
)

select
    dossier_id,
    source_code,
    {{ onestop_ts("record ->> 'ThoiGianDanhGia'") }} as rated_at,
    {{ onestop_code("record ->> 'DanhGia'") }} as rating_code,
    nullif(record ->> 'LoaiDanhGia', '') as rating_kind,
    batch_id,
    loaded_at
from raw_ratings
where copy_rank = 1
