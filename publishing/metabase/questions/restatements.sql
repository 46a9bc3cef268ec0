-- Published values that a later publication changed or removed.
select
    restatement.publication_id as "Lần công bố"
    , restatement.period_start as "Kỳ"
    , case restatement.period_kind when 'month' then 'Tháng' when 'quarter' then 'Quý' else 'Năm' end as "Loại kỳ"
    , restatement.indicator_id as "Mã chỉ số"
    , case restatement.level
        when 'agency' then 'Cơ quan' when 'commune' then 'Xã' when 'district' then 'Huyện' else 'Tỉnh'
    end as "Cấp"
    , restatement.unit_id as "Đơn vị"
    , case restatement.scope when 'tier' then 'Theo cấp' else 'Toàn địa bàn' end as "Phạm vi"
    , case restatement.view when 'current' then 'Đơn vị hiện nay' else 'Đơn vị như tại kỳ' end as "Góc nhìn"
    , case restatement.change when 'changed' then 'Thay đổi' else 'Bị loại bỏ' end as "Điều chỉnh"
    , restatement.old_value as "Giá trị cũ"
    , restatement.new_value as "Giá trị mới"
    , restatement.method_changed as "Do đổi cách tính"
    , restatement.recorded_at as "Ghi nhận lúc"
from bi.restatements as restatement
where true
    [[and restatement.period_start = date_trunc('month', {{period}})::date]]
    [[and restatement.indicator_id = {{indicator}}]]
    [[and restatement.unit_id = {{unit}}]]
order by restatement.publication_id desc, restatement.period_start, restatement.indicator_id
