-- One indicator at province level, month by month, against its target (generated per catalogue row).
select
    ind.period_month as "Kỳ"
    , ind.value as "Giá trị"
    , ind.target as "Mục tiêu"
from bi.ind_values__unit_month as ind
where ind.indicator_id = {{indicator}}
    and ind.unit_level = 'province'
    [[and ind.period_month <= date_trunc('month', {{period}})::date]]
    [[and ind.framework = {{framework}}]]
order by ind.period_month
