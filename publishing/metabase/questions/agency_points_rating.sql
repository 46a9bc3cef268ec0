-- Decision 766 points per agency and month: points earned out of the points at stake, and the
-- rating band of bi.rating_bands (the seed the index report uses too): the score brought to the
-- band scale (100) when fewer points than the scale are measured, as the report does.
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
),

scored as (
    select
        agency_points.*
        , agency_points.points / nullif(agency_points.max_points, 0) * 100 as score
    from agency_points
)

select
    scored.period_month as "Kỳ"
    , scored.unit_id as "Mã cơ quan"
    , scored.unit_name as "Cơ quan"
    , scored.points as "Điểm"
    , scored.max_points as "Điểm tối đa"
    , scored.score / 100 as "Tỷ lệ điểm"
    , (
        select bands.name_vi
        from bi.rating_bands as bands
        where bands.framework = '766' and bands.min_score <= scored.score
        order by bands.min_score desc
        limit 1
    ) as "Xếp loại"
    , scored.scored_indicators as "Số chỉ số có điểm"
from scored
order by scored.period_month desc, scored.points desc, scored.unit_id
