-- Which months each indicator has published values for, and how many are still provisional.
select
    ind.indicator_id as "Mã chỉ số"
    , frameworks.name_vi as "Khung"
    , min(ind.period_start) as "Từ kỳ"
    , max(ind.period_start) as "Đến kỳ"
    , count(distinct ind.period_start) as "Số kỳ có số liệu"
    , count(distinct ind.period_start) filter (where ind.status = 'provisional') as "Số kỳ tạm tính"
    , max(ind.period_as_of) as "Số liệu tính đến"
from bi.ind_values as ind
inner join bi.frameworks as frameworks on ind.framework = frameworks.framework
where ind.period_kind = 'month'
    and ind.scope = 'area'
    and ind.view = 'historical'
    [[and ind.period_start <= date_trunc('month', {{period}})::date]]
    [[and (ind.framework = {{framework}} or frameworks.name_vi = {{framework}})]]
    [[and ind.indicator_id = {{indicator}}]]
group by ind.indicator_id, frameworks.name_vi, frameworks.display_order
order by frameworks.display_order, ind.indicator_id
