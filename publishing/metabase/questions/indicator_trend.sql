-- One indicator at province level, month by month, against its target (generated per catalogue row),
-- in the chosen scope and view (whole area, units as they were by default).
select
    ind.period_start as "Kỳ"
    , ind.value as "Giá trị"
    , ind.target as "Mục tiêu"
from bi.ind_values as ind
inner join bi.frameworks as frameworks on ind.framework = frameworks.framework
where ind.indicator_id = {{indicator}}
    and ind.period_kind = 'month'
    and ind.scope = {{scope}}
    and ind.view = {{view}}
    and ind.level = 'province'
    [[and ind.period_start <= date_trunc('month', {{period}})::date]]
    [[and (ind.framework = {{framework}} or frameworks.name_vi = {{framework}})]]
order by ind.period_start
