-- Documents received by each of the province's agencies, by the step they reached in the month:
-- arrived (01), refused (02), finished (06), the median working days from arrival to finished
-- and how many finished after their due date.
select
    coalesce(agency.agency_name, step.agency_id) as "Cơ quan nhận"
    , count(*) filter (where step.status_code = '01') as "Văn bản đến"
    , count(*) filter (where step.status_code = '02') as "Từ chối tiếp nhận"
    , count(*) filter (where step.status_code = '06') as "Đã xử lý xong"
    , percentile_cont(0.5) within group (order by step.handling_working_days)
        filter (where step.status_code = '06') as "Ngày làm việc xử lý (trung vị)"
    , count(*) filter (where step.status_code = '06' and not step.is_within_due_date) as "Xong sau hạn"
from bi.fct_document_status as step
left join bi.dim_agency as agency
    on step.agency_id = agency.agency_id
        and agency.is_current
where step.is_received_in_province
    [[and date_trunc('month', step.status_at at time zone 'Asia/Ho_Chi_Minh')::date
        = date_trunc('month', {{period}})::date]]
    [[and (step.agency_id = {{unit}} or agency.agency_name = {{unit}})]]
group by coalesce(agency.agency_name, step.agency_id)
order by count(*) filter (where step.status_code = '01') desc, 1
