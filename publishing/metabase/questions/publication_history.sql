-- Every build that reached the gate up to the publication BI shows, with the gate's verdict.
select
    history.publication_id as "Lần công bố"
    , case history.status
        when 'published' then 'Đang công bố'
        when 'superseded' then 'Đã thay thế'
        when 'rejected' then 'Bị cổng kiểm định từ chối'
        when 'rolled_back' then 'Đã hoàn tác'
        else 'Ứng viên'
    end as "Trạng thái"
    , history.created_at as "Tạo lúc"
    , history.published_at as "Công bố lúc"
    , history.row_count as "Số dòng"
    , case when history.gate_passed then 'Đạt' when not history.gate_passed then 'Không đạt' end
        as "Kiểm định"
    , history.gate_failed_critical as "Lỗi nghiêm trọng"
    , history.gate_failed_warning as "Cảnh báo"
    , history.restated_values as "Giá trị bị điều chỉnh"
    , history.method_changed as "Chỉ số đổi cách tính"
    , history.moves_accepted as "Người vận hành chấp nhận biến động"
from bi.publication_history as history
where true
    [[and history.created_at < date_trunc('month', {{period}}) + interval '1 month']]
order by history.publication_id desc
