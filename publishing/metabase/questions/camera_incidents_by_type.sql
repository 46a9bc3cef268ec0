-- Camera incidents per event type in the month: incidents, the cameras that had them, Frigate's
-- false positives, incidents closed by the timeout (no end came) and those not ended yet.
with event_types (event_type, name_vi, display_order) as (
    /* seed ioc_event_types(event_type, name_vi, display_order) */
)

select
    coalesce(event_types.name_vi, event.event_type) as "Loại sự cố"
    , sum(event.incidents) as "Sự cố"
    , count(distinct event.camera_id) filter (where event.incidents > 0) as "Camera có sự cố"
    , sum(event.false_positives) as "Báo động nhầm"
    , sum(event.closed_by_timeout) as "Tự đóng do quá thời gian chờ"
    , sum(event.still_open) as "Chưa kết thúc"
from bi.fct_camera_event__day as event
left join event_types
    on event.event_type = event_types.event_type
left join bi.dim_camera as camera
    on event.camera_id = camera.camera_id
left join bi.dim_agency as agency
    on event.agency_id = agency.agency_id
        and agency.is_current
where true
    [[and date_trunc('month', event.event_date)::date = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (event.agency_id, agency.agency_name, event.commune_code, camera.commune_name)]]
group by coalesce(event_types.name_vi, event.event_type), event_types.display_order
order by event_types.display_order::integer nulls last, 1
