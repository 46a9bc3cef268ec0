-- Province scorecard against targets: one row per indicator and month at province level.
select
    ind.period_month as "Kỳ"
    , ind.indicator_id as "Mã chỉ số"
    , catalogue.name_vi as "Chỉ số"
    , ind.framework as "Khung"
    , ind.measure_unit as "Đơn vị đo"
    , ind.numerator as "Tử số"
    , ind.denominator as "Mẫu số"
    , ind.value as "Giá trị"
    , ind.target as "Mục tiêu"
    , case when ind.met then 'Đạt' when not ind.met then 'Không đạt' end as "Kết quả"
    , case when ind.target_confirmed then 'Đã xác nhận' else 'Giả định' end as "Loại mục tiêu"
    , case when ind.period_status = 'provisional' then 'Tạm tính' else 'Đủ tháng' end as "Trạng thái kỳ"
from bi.ind_values__unit_month as ind
inner join bi.indicator_catalogue as catalogue on ind.indicator_id = catalogue.indicator_id
where ind.unit_level = 'province'
    [[and ind.period_month = date_trunc('month', {{period}})::date]]
    [[and ind.framework = {{framework}}]]
    [[and ind.indicator_id = {{indicator}}]]
order by ind.period_month desc, ind.framework, ind.indicator_id
