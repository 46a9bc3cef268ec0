-- Re-coded dossiers: a dossier first sent under a local code is later sent under a rewritten
-- code, with the old one in MaHoSoKhac. One row per old code, pointing at the rewritten one.
with recoded_versions as (
    select
        dossiers.record ->> 'MaHoSoKhac' as alt_code,
        dossiers.ma_ho_so as dossier_id,
        dossiers.version,
        dossiers.loaded_at,
        dossiers.batch_id
    from {{ live_rows(source('onestop', 'dossiers')) }} as dossiers
    where
        coalesce(dossiers.record ->> 'MaHoSoKhac', '') <> ''
        and dossiers.record ->> 'MaHoSoKhac' <> dossiers.ma_ho_so
),

ranked as (
    select
        alt_code,
        dossier_id,
        row_number() over (
            partition by alt_code
            order by version desc, loaded_at desc, batch_id desc
        ) as recency
    from recoded_versions
)

select
    alt_code,
    dossier_id
from ranked
where recency = 1
