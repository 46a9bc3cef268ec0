-- Camera incidents (false positives left out) per day and event type, named from seed
-- ioc_event_types (a type the seed lacks shows its code).
with event_types (event_type, name_vi, display_order) as (
    /* seed ioc_event_types(event_type, name_vi, display_order) */
)

select
    event.event_date as "Ngày"
    , coalesce(event_types.name_vi, event.event_type) as "Loại sự cố"
    , sum(event.incidents) as "Sự cố"
from bi.fct_camera_event__day as event
left join event_types
    on event.event_type = event_types.event_type
left join bi.dim_camera as camera
    on event.camera_id = camera.camera_id
left join bi.dim_agency as agency
    on event.agency_id = agency.agency_id
        and agency.is_current
where event.incidents > 0
    [[and date_trunc('month', event.event_date)::date = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (event.agency_id, agency.agency_name, event.commune_code, camera.commune_name)]]
group by event.event_date, coalesce(event_types.name_vi, event.event_type), event_types.display_order
order by event.event_date, event_types.display_order::integer nulls last, 2
