-- Points per agency, framework and month: points earned out of the points at stake (the
-- catalogue's max_points), and the rating band of bi.rating_bands (the seed the index report uses
-- too): the score brought to the band scale when fewer points than the scale are measured, as the
-- report does. A framework without bands has no rating.
with agency_points as (
    select
        ind.period_start
        , ind.framework
        , ind.unit_id
        , max(ind.unit_name) as unit_name
        , sum(ind.points) as points
        , sum(catalogue.max_points) as max_points
        , count(*) as scored_indicators
    from bi.ind_values as ind
    inner join bi.indicator_catalogue as catalogue on ind.indicator_id = catalogue.indicator_id
    where catalogue.max_points is not null
        and ind.period_kind = 'month'
        and ind.scope = 'area'
        and ind.view = 'historical'
        and ind.level = 'agency'
        [[and ind.period_start = date_trunc('month', {{period}})::date]]
        [[and (ind.unit_id = {{unit}} or ind.unit_name = {{unit}})]]
        [[and ind.indicator_id = {{indicator}}]]
    group by ind.period_start, ind.framework, ind.unit_id
),

scored as (
    select
        agency_points.*
        , agency_points.points / nullif(agency_points.max_points, 0) * 100 as score
    from agency_points
)

select
    scored.period_start as "Kỳ"
    , frameworks.name_vi as "Khung"
    , scored.unit_id as "Mã cơ quan"
    , scored.unit_name as "Cơ quan"
    , scored.points as "Điểm"
    , scored.max_points as "Điểm tối đa"
    , scored.score / 100 as "Tỷ lệ điểm"
    , (
        select bands.name_vi
        from bi.rating_bands as bands
        where bands.framework = scored.framework and bands.min_score <= scored.score
        order by bands.min_score desc
        limit 1
    ) as "Xếp loại"
    , scored.scored_indicators as "Số chỉ số có điểm"
from scored
inner join bi.frameworks as frameworks on scored.framework = frameworks.framework
order by scored.period_start desc, frameworks.display_order, scored.points desc, scored.unit_id
