-- Dossiers received per agency in the month, and how many were submitted online.
select
    agency.agency_name as "Cơ quan"
    , count(*) as "Hồ sơ tiếp nhận"
    , count(*) filter (where dossier.is_online) as "Nộp trực tuyến"
from bi.fct_dossier as dossier
inner join bi.dim_agency as agency
    on dossier.agency_id = agency.agency_id
        and agency.is_current
where dossier.is_received
    [[and date_trunc('month', dossier.received_at at time zone 'Asia/Ho_Chi_Minh')::date
        = date_trunc('month', {{period}})::date]]
    [[and (agency.agency_id = {{unit}} or agency.agency_name = {{unit}})]]
group by agency.agency_name
order by count(*) desc, agency.agency_name
