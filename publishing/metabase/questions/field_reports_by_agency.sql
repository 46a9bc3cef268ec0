-- Citizen field reports made in the month per agency handling them and commune where they
-- happened (its name at the time): answered in time or late, resolved in time or late, as IOC-02
-- and IOC-03 count them (a report not yet due, or without a processing date, is not judged).
select
    coalesce(agency.agency_name, report.agency_id) as "Cơ quan"
    , coalesce(commune.unit_name, report.commune_code) as "Xã, phường"
    , count(*) as "Phản ánh"
    , count(*) filter (where report.is_answered_in_time) as "Trả lời đúng hạn"
    , count(*) filter (where not report.is_answered_in_time) as "Trả lời trễ hoặc quá hạn chưa trả lời"
    , round(
        100.0 * count(*) filter (where report.is_answered_in_time)
        / nullif(count(report.is_answered_in_time), 0), 2
    ) as "Tỷ lệ trả lời đúng hạn (%)"
    , count(*) filter (where report.is_resolved_in_time) as "Xử lý xong đúng hạn"
    , count(*) filter (where not report.is_resolved_in_time) as "Xử lý xong trễ hạn"
    , round(
        100.0 * count(*) filter (where report.is_resolved_in_time)
        / nullif(count(report.is_resolved_in_time), 0), 2
    ) as "Tỷ lệ xử lý đúng hạn (%)"
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
group by 1, 2
order by 6 nulls last, 1, 2
