-- Camera availability day by day (all cameras, or those of the chosen agency or commune):
-- minutes up / minutes in service, and how many cameras were down for part of the day.
select
    availability.availability_date as "Ngày"
    , round(100 * sum(availability.minutes_up) / nullif(sum(availability.minutes_in_service), 0), 2)
        as "Tỷ lệ hoạt động (%)"
    , count(distinct availability.camera_id) as "Số camera"
    , count(distinct availability.camera_id) filter (
        where availability.minutes_up < availability.minutes_in_service
    ) as "Camera có gián đoạn"
from bi.fct_camera_availability as availability
left join bi.dim_camera as camera
    on availability.camera_id = camera.camera_id
left join bi.dim_agency as agency
    on availability.agency_id = agency.agency_id
        and agency.is_current
where true
    [[and date_trunc('month', availability.availability_date)::date = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (availability.agency_id, agency.agency_name, availability.commune_code, camera.commune_name)]]
group by availability.availability_date
order by availability.availability_date
