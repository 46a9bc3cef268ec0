-- Scorecard against targets: one row per indicator, month and unit at the chosen level (the
-- province by default), scope and view; each always has one value, so no row is counted twice.
select
    ind.period_start as "Kỳ"
    , ind.unit_id as "Mã đơn vị"
    , ind.unit_name as "Đơn vị"
    , ind.indicator_id as "Mã chỉ số"
    , catalogue.name_vi as "Chỉ số"
    , frameworks.name_vi as "Khung"
    , ind.value_unit as "Đơn vị đo"
    , ind.numerator as "Tử số"
    , ind.denominator as "Mẫu số"
    , ind.value as "Giá trị"
    , ind.target as "Mục tiêu"
    , case when ind.met then 'Đạt' when not ind.met then 'Không đạt' end as "Kết quả"
    , case when ind.target_confirmed then 'Đã xác nhận' else 'Giả định' end as "Loại mục tiêu"
    , case when ind.status = 'provisional' then 'Tạm tính' else 'Đủ tháng' end as "Trạng thái kỳ"
    , case when ind.origin = 'entered' then 'Nhập tay' else 'Tính từ dữ liệu' end as "Nguồn số liệu"
from bi.ind_values as ind
inner join bi.indicator_catalogue as catalogue on ind.indicator_id = catalogue.indicator_id
inner join bi.frameworks as frameworks on ind.framework = frameworks.framework
where ind.period_kind = 'month'
    and ind.level = {{level}}
    and ind.scope = {{scope}}
    and ind.view = {{view}}
    [[and ind.period_start = date_trunc('month', {{period}})::date]]
    [[and (ind.framework = {{framework}} or frameworks.name_vi = {{framework}})]]
    [[and ind.indicator_id = {{indicator}}]]
    [[and (ind.unit_id = {{unit}} or ind.unit_name = {{unit}})]]
order by ind.period_start desc, frameworks.display_order, ind.indicator_id, ind.unit_name
