-- Citizen field reports made in the month per urgency tier (seed ioc_report_urgencies, in its
-- order): the tier's deadlines (an unconfirmed one says giả định; only the urgent answer deadline
-- is confirmed), how many were answered in time or late (a deadline passed unanswered is late;
-- one not yet passed is not judged), and resolved in time (judged only with a processing date).
with tiers (urgency, name_vi, answer_within_hours, answer_within_working_days, resolve_within_hours
    , resolve_within_working_days, answer_confirmed, seed_row) as (
    /* seed ioc_report_urgencies(urgency, name_vi, answer_within_hours, answer_within_working_days, resolve_within_hours, resolve_within_working_days, answer_confirmed, seed_row) */
)

, reports as (
    select report.*
    from bi.fct_field_report as report
    left join bi.dim_agency as agency
        on report.agency_id = agency.agency_id
            and agency.is_current
    left join bi.dim_admin_unit as commune
        on report.commune_code = commune.unit_code
            and report.created_at >= commune.valid_from_at
            and (commune.valid_to_at is null or report.created_at < commune.valid_to_at)
    where true
        [[and date_trunc('month', report.created_at at time zone 'Asia/Ho_Chi_Minh')::date
            = date_trunc('month', {{period}})::date]]
        [[and {{unit}} in (report.agency_id, agency.agency_name, report.commune_code, commune.unit_name)]]
)

select
    coalesce(tiers.name_vi, reports.urgency, 'Không rõ') as "Mức độ khẩn"
    , coalesce(tiers.answer_within_hours || ' giờ', tiers.answer_within_working_days || ' ngày làm việc')
        || case when tiers.answer_confirmed::boolean then '' else ' (giả định)' end as "Hạn trả lời"
    , coalesce(tiers.resolve_within_hours || ' giờ', tiers.resolve_within_working_days || ' ngày làm việc')
        || ' (giả định)' as "Hạn xử lý"
    , count(*) as "Phản ánh"
    , count(reports.answered_at) as "Đã trả lời"
    , count(*) filter (where reports.is_answered_in_time) as "Trả lời đúng hạn"
    , count(*) filter (where not reports.is_answered_in_time) as "Trả lời trễ hoặc quá hạn chưa trả lời"
    , count(*) filter (where reports.is_answered_in_time is null) as "Chưa đến hạn trả lời"
    , round(
        100.0 * count(*) filter (where reports.is_answered_in_time)
        / nullif(count(reports.is_answered_in_time), 0), 2
    ) as "Tỷ lệ trả lời đúng hạn (%)"
    , count(reports.is_resolved_in_time) as "Có ngày xử lý xong"
    , count(*) filter (where reports.is_resolved_in_time) as "Xử lý xong đúng hạn"
    , round(
        100.0 * count(*) filter (where reports.is_resolved_in_time)
        / nullif(count(reports.is_resolved_in_time), 0), 2
    ) as "Tỷ lệ xử lý đúng hạn (%)"
from reports
left join tiers
    on reports.urgency = tiers.urgency
group by 1, 2, 3, tiers.seed_row
order by tiers.seed_row nulls last, 1
