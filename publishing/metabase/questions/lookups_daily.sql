-- Calls to the national population database per local day (Asia/Ho_Chi_Minh) of the month, from
-- every agency or the chosen one: calls, failed calls and the success rate.
select
    call.call_date as "Ngày"
    , count(*) as "Lượt gọi"
    , count(*) filter (where not call.is_succeeded) as "Thất bại"
    , round(100.0 * count(*) filter (where call.is_succeeded) / count(*), 2) as "Tỷ lệ thành công (%)"
from bi.fct_population_call as call
left join bi.dim_agency as agency
    on call.agency_id = agency.agency_id
        and agency.is_current
where true
    [[and date_trunc('month', call.call_date)::date = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (call.agency_id, agency.agency_name, call.client_member_code, call.client)]]
group by call.call_date
order by call.call_date
