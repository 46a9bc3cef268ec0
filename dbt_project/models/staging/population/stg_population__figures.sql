-- Residents and VNeID accounts per commune and month, the latest published version of each figure
-- (a figure revised after its month is stored again with its new publication time).
select distinct on (commune_code, month)
    commune_code,
    to_date(month, 'YYYYMM') as month_start,
    published_at,
    (record ->> 'SoDanCu')::bigint as residents,
    (record ->> 'SoTaiKhoanMuc1')::bigint as level1_accounts,
    (record ->> 'SoTaiKhoanMuc2')::bigint as level2_accounts,
    count(*) over (partition by commune_code, month) as version_count
from {{ live_rows(source('population', 'figures')) }}
order by commune_code asc, month asc, published_at desc, loaded_at desc, batch_id desc
