-- The province's residents and VNeID accounts per month: the sum of the communes that published
-- figures for it (how many is shown, so a missing commune is seen); the level-2 share is taken over
-- the communes that gave a level-2 count (NQ17-06 for the province); the newest month first.
select
    stats.month_start as "Tháng"
    , count(*) as "Số xã, phường có số liệu"
    , sum(stats.residents) as "Dân số"
    , sum(stats.level1_accounts) as "Tài khoản định danh mức 1"
    , sum(stats.level2_accounts) as "Tài khoản định danh mức 2"
    , round(
        100.0 * sum(stats.level2_accounts)
        / nullif(sum(stats.residents) filter (where stats.level2_accounts is not null), 0), 2
    ) as "Tỷ lệ mức 2 / dân số (%)"
    , count(*) filter (where stats.is_revised) as "Xã, phường có số liệu điều chỉnh"
from bi.fct_population_stats as stats
where true
    [[and stats.month_start = date_trunc('month', {{period}})::date]]
group by stats.month_start
order by stats.month_start desc
