-- Calls the province's systems made to the national population database in the month, per calling
-- agency (its current name; a member code the agency catalogue does not know shows the code, marked)
-- and service (named from seed population_services, an unconfirmed one marked; a service the seed
-- lacks shows its code): calls, succeeded, failed, success rate, and the median and 95th-percentile
-- latency in seconds over the calls' own latencies, a call without one left out (DA06-01 to DA06-04);
-- the worst success rate first.
-- Every row of fct_population_call is a call: a message id sent twice (a retry) counts twice.
with services (service_code, name_vi, confirmed) as (
    /* seed population_services(service_code, name_vi, confirmed) */
)

select
    case
        when call.agency_id is null
            then coalesce(call.client_member_code, call.client, 'Không rõ') || ' (không có trong danh mục)'
        else coalesce(agency.agency_name, call.agency_id)
    end as "Cơ quan"
    , coalesce(
        services.name_vi || case when services.confirmed::boolean then '' else ' (chưa xác nhận)' end
        , call.service_code
    ) as "Dịch vụ"
    , count(*) as "Lượt gọi"
    , count(*) filter (where call.is_succeeded) as "Thành công"
    , count(*) filter (where not call.is_succeeded) as "Thất bại"
    , round(100.0 * count(*) filter (where call.is_succeeded) / count(*), 2) as "Tỷ lệ thành công (%)"
    , round((percentile_cont(0.5) within group (order by call.latency_ms) / 1000)::numeric, 3)
        as "Thời gian phản hồi trung vị (giây)"
    , round((percentile_cont(0.95) within group (order by call.latency_ms) / 1000)::numeric, 3)
        as "Thời gian phản hồi phân vị 95 (giây)"
from bi.fct_population_call as call
left join services
    on call.service_code = services.service_code
left join bi.dim_agency as agency
    on call.agency_id = agency.agency_id
        and agency.is_current
where true
    [[and date_trunc('month', call.call_date)::date = date_trunc('month', {{period}})::date]]
    [[and {{unit}} in (call.agency_id, agency.agency_name, call.client_member_code, call.client)]]
group by 1, 2
order by 6, 1, 2
