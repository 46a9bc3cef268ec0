-- Every field report made in the month that missed a deadline: answered after its answer deadline,
-- still unanswered past it, or completed after its resolution deadline; the newest first.
with tiers (urgency, name_vi) as (
    /* seed ioc_report_urgencies(urgency, name_vi) */
)

select
    report.report_id as "Mã phản ánh"
    , coalesce(agency.agency_name, report.agency_id) as "Cơ quan"
    , coalesce(commune.unit_name, report.commune_code) as "Xã, phường"
    , coalesce(tiers.name_vi, report.urgency) as "Mức độ khẩn"
    , report.created_at at time zone 'Asia/Ho_Chi_Minh' as "Thời điểm phản ánh"
    , report.answer_due_at at time zone 'Asia/Ho_Chi_Minh' as "Hạn trả lời"
    , report.answered_at at time zone 'Asia/Ho_Chi_Minh' as "Thời điểm trả lời"
    , report.resolve_due_at at time zone 'Asia/Ho_Chi_Minh' as "Hạn xử lý"
    , report.processed_at at time zone 'Asia/Ho_Chi_Minh' as "Thời điểm xử lý xong"
    , case
        when not report.is_answered_in_time and report.answered_at is null then 'Quá hạn, chưa trả lời'
        when not report.is_answered_in_time then 'Trả lời trễ hạn'
        when report.is_answered_in_time then 'Trả lời đúng hạn'
        else 'Chưa đến hạn trả lời'
    end as "Trả lời"
    , case
        when report.is_resolved_in_time then 'Xử lý xong đúng hạn'
        when not report.is_resolved_in_time then 'Xử lý xong trễ hạn'
        else 'Chưa có ngày xử lý'
    end as "Xử lý"
from bi.fct_field_report as report
left join tiers
    on report.urgency = tiers.urgency
left join bi.dim_agency as agency
    on report.agency_id = agency.agency_id
        and agency.is_current
left join bi.dim_admin_unit as commune
    on report.commune_code = commune.unit_code
        and report.created_at >= commune.valid_from_at
        and (commune.valid_to_at is null or report.created_at < commune.valid_to_at)
where (not report.is_answered_in_time or not report.is_resolved_in_time)
    [[and date_trunc('month', report.created_at at time zone 'Asia/Ho_Chi_Minh')::date
        = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (report.agency_id, agency.agency_name, report.commune_code, commune.unit_name)]]
order by report.created_at desc, report.report_id
