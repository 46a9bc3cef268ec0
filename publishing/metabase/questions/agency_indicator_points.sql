-- Every scored indicator (the catalogue gives it maximum points) per agency and month: value,
-- target, met, points.
select
    ind.period_start as "Kỳ"
    , ind.unit_id as "Mã cơ quan"
    , ind.unit_name as "Cơ quan"
    , frameworks.name_vi as "Khung"
    , ind.indicator_id as "Mã chỉ số"
    , ind.numerator as "Tử số"
    , ind.denominator as "Mẫu số"
    , ind.value as "Giá trị"
    , ind.target as "Mục tiêu"
    , case when ind.met then 'Đạt' when not ind.met then 'Không đạt' end as "Kết quả"
    , ind.points as "Điểm"
    , catalogue.max_points as "Điểm tối đa"
    , case when ind.status = 'provisional' then 'Tạm tính' else 'Đủ tháng' end as "Trạng thái kỳ"
    , case when ind.origin = 'entered' then 'Nhập tay' else 'Tính từ dữ liệu' end as "Nguồn số liệu"
from bi.ind_values as ind
inner join bi.indicator_catalogue as catalogue on ind.indicator_id = catalogue.indicator_id
inner join bi.frameworks as frameworks on ind.framework = frameworks.framework
where catalogue.max_points is not null
    and ind.period_kind = 'month'
    and ind.scope = 'area'
    and ind.view = 'historical'
    and ind.level = 'agency'
    [[and ind.period_start = date_trunc('month', {{period}})::date]]
    [[and (ind.unit_id = {{unit}} or ind.unit_name = {{unit}})]]
    [[and ind.indicator_id = {{indicator}}]]
order by ind.period_start desc, ind.unit_id, frameworks.display_order, ind.indicator_id
