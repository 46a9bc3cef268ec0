-- The dossiers 766-2.1 judged late, per agency and period (month by default, or quarter, year):
-- the procedure, the promised and due dates, the end, and the working days over.
select
    late.period_start as "Kỳ"
    , late.agency_name as "Cơ quan"
    , late.dossier_id as "Mã hồ sơ"
    , late.procedure_id as "Mã thủ tục"
    , late.procedure_name as "Thủ tục"
    , (late.promised_at at time zone 'Asia/Ho_Chi_Minh')::date as "Ngày hẹn trả"
    , late.due_date as "Hạn phải trả"
    , (late.ended_at at time zone 'Asia/Ho_Chi_Minh')::date as "Ngày kết thúc"
    , late.working_days_over as "Số ngày làm việc quá hạn"
    , case late.late_basis
        when 'multiple_supplements' then 'Yêu cầu bổ sung quá một lần'
        when 'undeterminable' then 'Không có ngày hẹn, không rõ thời hạn'
        when 'time_limit_hours' then 'Quá số giờ quy định'
        when 'time_limit_working_days' then 'Quá số ngày làm việc quy định'
        when 'time_limit_calendar_days' then 'Quá thời hạn (ngày)'
        else case when late.is_open then 'Chưa giải quyết, đã quá hạn' else 'Trả sau ngày hẹn' end
    end as "Lý do trễ hạn"
    , case when late.status = 'provisional' then 'Tạm tính' else 'Đủ kỳ' end as "Trạng thái kỳ"
from bi.ind_766_2_1_late_dossiers as late
where late.period_kind = {{period_kind}}
    [[and late.period_start = date_trunc({{period_kind}}, {{period}}::timestamp)::date]]
    [[and (late.agency_id = {{unit}} or late.agency_name = {{unit}})]]
order by late.period_start desc, late.agency_name, late.working_days_over desc nulls last, late.dossier_id
