-- Camera availability per agency running the cameras and commune they stand in, in the month:
-- minutes up / minutes in service (IOC-01's ratio), and the cameras with an outage.
select
    coalesce(agency.agency_name, availability.agency_id) as "Cơ quan"
    , coalesce(camera.commune_name, availability.commune_code) as "Xã, phường"
    , count(distinct availability.camera_id) as "Số camera"
    , count(distinct availability.camera_id) filter (
        where availability.minutes_up < availability.minutes_in_service
    ) as "Camera có gián đoạn"
    , round(sum(availability.minutes_up) / 60, 1) as "Giờ hoạt động"
    , round(sum(availability.minutes_in_service) / 60, 1) as "Giờ vận hành"
    , round(100 * sum(availability.minutes_up) / nullif(sum(availability.minutes_in_service), 0), 2)
        as "Tỷ lệ hoạt động (%)"
from bi.fct_camera_availability as availability
left join bi.dim_camera as camera
    on availability.camera_id = camera.camera_id
left join bi.dim_agency as agency
    on availability.agency_id = agency.agency_id
        and agency.is_current
where true
    [[and date_trunc('month', availability.availability_date)::date = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (availability.agency_id, agency.agency_name, availability.commune_code, camera.commune_name)]]
group by 1, 2
order by 7 nulls last, 1, 2
