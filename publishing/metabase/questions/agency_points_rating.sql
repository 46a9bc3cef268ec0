-- Decision 766 points per agency and month: points earned out of the points at stake, and the rating.
-- Rating bands (share of the points at stake) are ASSUMED until they are published in a seed:
-- at least 90 % Xuất sắc, 75 % Tốt, 50 % Đạt, below that Chưa đạt.
with agency_points as (
    select
        ind.period_month
        , ind.unit_id
        , max(ind.unit_name) as unit_name
        , sum(ind.points) as points
        , sum(ind.max_points) as max_points
        , count(*) as scored_indicators
    from bi.ind_values__unit_month as ind
    where ind.framework = '766'
        and ind.unit_level = 'agency'
        and ind.max_points is not null
        [[and ind.period_month = date_trunc('month', {{period}})::date]]
        [[and (ind.unit_id = {{unit}} or ind.unit_name = {{unit}})]]
        [[and ind.indicator_id = {{indicator}}]]
    group by ind.period_month, ind.unit_id
)

select
    agency_points.period_month as "Kỳ"
    , agency_points.unit_id as "Mã cơ quan"
    , agency_points.unit_name as "Cơ quan"
    , agency_points.points as "Điểm"
    , agency_points.max_points as "Điểm tối đa"
    , agency_points.points / nullif(agency_points.max_points, 0) as "Tỷ lệ điểm"
    , case
        when agency_points.points >= 0.90 * agency_points.max_points then 'Xuất sắc'
        when agency_points.points >= 0.75 * agency_points.max_points then 'Tốt'
        when agency_points.points >= 0.50 * agency_points.max_points then 'Đạt'
        else 'Chưa đạt'
    end as "Xếp loại"
    , agency_points.scored_indicators as "Số chỉ số có điểm"
from agency_points
order by agency_points.period_month desc, agency_points.points desc, agency_points.unit_id
