-- Which months each indicator has published values for, and how many are still provisional.
select
    ind.indicator_id as "Mã chỉ số"
    , ind.framework as "Khung"
    , min(ind.period_month) as "Từ kỳ"
    , max(ind.period_month) as "Đến kỳ"
    , count(distinct ind.period_month) as "Số kỳ có số liệu"
    , count(distinct ind.period_month) filter (where ind.period_status = 'provisional') as "Số kỳ tạm tính"
    , max(ind.period_as_of) as "Số liệu tính đến"
from bi.ind_values__unit_month as ind
where true
    [[and ind.period_month <= date_trunc('month', {{period}})::date]]
    [[and ind.framework = {{framework}}]]
    [[and ind.indicator_id = {{indicator}}]]
group by ind.indicator_id, ind.framework
order by ind.framework, ind.indicator_id
