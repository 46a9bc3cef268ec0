-- Data quality per source, entity and month: records received, loaded and rejected, dossiers under
-- an unknown agency or procedure, coverage, and why a month is provisional (bi.dq_source_month).
select
    dq.period_month as "Kỳ"
    , dq.source_name as "Nguồn"
    , dq.entity_name as "Đối tượng"
    , dq.records_received as "Bản ghi nhận được"
    , dq.records_loaded as "Bản ghi đã nạp"
    , dq.records_rejected as "Bản ghi bị loại"
    , dq.reject_share as "Tỷ lệ bị loại"
    , dq.unknown_agency_dossiers as "Hồ sơ cơ quan không xác định"
    , dq.unknown_procedure_dossiers as "Hồ sơ thủ tục không xác định"
    , dq.unknown_share as "Tỷ lệ không xác định"
    , dq.covered_days as "Số ngày có số liệu"
    , dq.days_in_month as "Số ngày trong tháng"
    , dq.period_status as "Trạng thái kỳ"
    , dq.quality_note as "Ghi chú"
from bi.dq_source_month as dq
where true
    [[and dq.period_month = date_trunc('month', {{period}})::date]]
order by dq.period_month desc, dq.source_name, dq.entity_name
