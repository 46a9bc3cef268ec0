-- Residents and VNeID accounts per commune in the month, as last published (NQ17-06 per commune):
-- the commune named as in force at the start of that month (its name before a merger for an earlier
-- month), level-1 and level-2 accounts, the level-2 share of residents, and whether the published
-- figure was revised; the lowest share first.
select
    stats.month_start as "Tháng"
    , coalesce(commune.unit_name, stats.commune_code) as "Xã, phường"
    , stats.residents as "Dân số"
    , stats.level1_accounts as "Tài khoản định danh mức 1"
    , stats.level2_accounts as "Tài khoản định danh mức 2"
    , round(100.0 * stats.level2_accounts / nullif(stats.residents, 0), 2) as "Tỷ lệ mức 2 / dân số (%)"
    , case when stats.is_revised then 'Có' when not stats.is_revised then 'Không' end as "Số liệu đã điều chỉnh"
from bi.fct_population_stats as stats
left join bi.dim_admin_unit as commune
    on stats.commune_code = commune.unit_code
        and stats.month_start::timestamp at time zone 'Asia/Ho_Chi_Minh' >= commune.valid_from_at
        and (
            commune.valid_to_at is null
            or stats.month_start::timestamp at time zone 'Asia/Ho_Chi_Minh' < commune.valid_to_at
        )
where true
    [[and stats.month_start = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (stats.commune_code, commune.unit_name)]]
order by 1 desc, 6 nulls last, 2
