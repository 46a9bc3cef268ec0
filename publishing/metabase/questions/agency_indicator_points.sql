-- Every Decision 766 indicator per agency and month: value, target, met, points.
select
    ind.period_month as "Kỳ"
    , ind.unit_id as "Mã cơ quan"
    , ind.unit_name as "Cơ quan"
    , ind.indicator_id as "Mã chỉ số"
    , ind.numerator as "Tử số"
    , ind.denominator as "Mẫu số"
    , ind.value as "Giá trị"
    , ind.target as "Mục tiêu"
    , case when ind.met then 'Đạt' when not ind.met then 'Không đạt' end as "Kết quả"
    , ind.points as "Điểm"
    , ind.max_points as "Điểm tối đa"
    , case when ind.period_status = 'provisional' then 'Tạm tính' else 'Đủ tháng' end as "Trạng thái kỳ"
from bi.ind_values__unit_month as ind
where ind.framework = '766'
    and ind.unit_level = 'agency'
    [[and ind.period_month = date_trunc('month', {{period}})::date]]
    [[and (ind.unit_id = {{unit}} or ind.unit_name = {{unit}})]]
    [[and ind.indicator_id = {{indicator}}]]
order by ind.period_month desc, ind.unit_id, ind.indicator_id
