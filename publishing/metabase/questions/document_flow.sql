-- Documents the province's agencies sent through the axis in the month: how many travelled
-- electronically, how many were signed, and how many a later package revoked, updated or replaced.
select
    coalesce(agency.agency_name, document.sender_agency_id) as "Cơ quan gửi"
    , count(*) as "Văn bản gửi"
    , count(*) filter (where document.is_electronic) as "Điện tử"
    , count(*) filter (where document.is_electronic and document.is_signed) as "Điện tử, ký số"
    , count(*) filter (where document.is_revoked) as "Bị thu hồi"
    , count(*) filter (where document.is_updated or document.is_replaced) as "Cập nhật, thay thế"
    , sum(document.recipient_count) as "Lượt nơi nhận"
from bi.fct_document as document
left join bi.dim_agency as agency
    on document.sender_agency_id = agency.agency_id
        and agency.is_current
where document.is_sent_in_province
    [[and date_trunc('month', document.sent_at at time zone 'Asia/Ho_Chi_Minh')::date
        = date_trunc('month', {{period}})::date]]
    [[and (document.sender_agency_id = {{unit}} or agency.agency_name = {{unit}})]]
group by coalesce(agency.agency_name, document.sender_agency_id)
order by count(*) desc, 1
