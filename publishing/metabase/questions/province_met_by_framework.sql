-- How many province indicators met their target, per framework (indicators with a target only).
select
    ind.framework as "Khung"
    , count(*) filter (where ind.met) as "Đạt"
    , count(*) filter (where not ind.met) as "Không đạt"
from bi.ind_values__unit_month as ind
where ind.unit_level = 'province'
    and ind.met is not null
    [[and ind.period_month = date_trunc('month', {{period}})::date]]
    [[and ind.framework = {{framework}}]]
    [[and ind.indicator_id = {{indicator}}]]
group by ind.framework
order by ind.framework
