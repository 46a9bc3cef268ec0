-- How many indicators met their target, per framework (indicators with a target only), at the
-- chosen level (the province by default), scope and view: one row per indicator and unit.
select
    frameworks.name_vi as "Khung"
    , count(*) filter (where ind.met) as "Đạt"
    , count(*) filter (where not ind.met) as "Không đạt"
from bi.ind_values as ind
inner join bi.frameworks as frameworks on ind.framework = frameworks.framework
where ind.period_kind = 'month'
    and ind.level = {{level}}
    and ind.scope = {{scope}}
    and ind.view = {{view}}
    and ind.met is not null
    [[and ind.period_start = date_trunc('month', {{period}})::date]]
    [[and (ind.framework = {{framework}} or frameworks.name_vi = {{framework}})]]
    [[and ind.indicator_id = {{indicator}}]]
    [[and (ind.unit_id = {{unit}} or ind.unit_name = {{unit}})]]
group by frameworks.name_vi, frameworks.display_order
order by frameworks.display_order
