-- Failed calls to the national population database in the month per fault code (the integration
-- platform's, e.g. Server.ServerProxy.ServiceFailed; without one, the HTTP status): how many, how many
-- calling agencies they hit and which, and the latest (Vietnam time); the most frequent first.
with failed as (
    select
        coalesce(call.fault_code, 'HTTP ' || call.status_code, 'Không có mã lỗi') as fault
        , coalesce(call.agency_id, call.client_member_code, call.client) as caller
        , case
            when call.agency_id is null
                then coalesce(call.client_member_code, call.client, 'Không rõ') || ' (không có trong danh mục)'
            else coalesce(agency.agency_name, call.agency_id)
        end as caller_name
        , call.called_at
    from bi.fct_population_call as call
    left join bi.dim_agency as agency
        on call.agency_id = agency.agency_id
            and agency.is_current
    where not call.is_succeeded
        [[and date_trunc('month', call.call_date)::date = date_trunc('month', {{period}})::date]]
        [[and {{unit}} in (call.agency_id, agency.agency_name, call.client_member_code, call.client)]]
)

select
    fault as "Mã lỗi"
    , count(*) as "Lượt gọi lỗi"
    , count(distinct caller) as "Số cơ quan bị ảnh hưởng"
    , string_agg(distinct caller_name, '; ' order by caller_name) as "Cơ quan"
    , max(called_at) at time zone 'Asia/Ho_Chi_Minh' as "Lần gần nhất"
from failed
group by fault
order by 2 desc, 1
