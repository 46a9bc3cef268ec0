-- Each agency's total per framework and month as bi.ind_framework_totals computes it (the one
-- place totals and bands are computed, also read by the index report): points earned on the
-- indicators that have a value, out of those indicators' maximum points, and the rating band of
-- bi.rating_bands only when enough points are measured; otherwise "chưa đủ dữ liệu".
select
    totals.period_start as "Kỳ"
    , frameworks.name_vi as "Khung"
    , totals.unit_id as "Mã cơ quan"
    , totals.unit_name as "Cơ quan"
    , totals.earned as "Điểm đạt"
    , totals.measured as "Điểm đo được"
    , totals.score / 100 as "Tỷ lệ điểm"
    , coalesce(bands.name_vi, 'chưa đủ dữ liệu') as "Xếp loại"
    , totals.indicators_measured as "Số chỉ số có điểm"
    , totals.min_measured_points as "Điểm đo được tối thiểu để xếp loại"
from bi.ind_framework_totals as totals
inner join bi.frameworks as frameworks on totals.framework = frameworks.framework
left join bi.rating_bands as bands on totals.framework = bands.framework and totals.band = bands.band
where totals.period_kind = 'month'
    and totals.scope = 'area'
    and totals.view = 'historical'
    and totals.level = 'agency'
    [[and totals.period_start = date_trunc('month', {{period}})::date]]
    [[and (totals.unit_id = {{unit}} or totals.unit_name = {{unit}})]]
order by totals.period_start desc, frameworks.display_order, totals.is_rated desc, totals.score desc, totals.unit_id
