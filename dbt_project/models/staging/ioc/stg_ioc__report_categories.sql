-- Field-report categories as the latest pull has them, one row per category (a category the
-- source stopped listing keeps its last state: old reports still name it).
with states as (
    select
        category_id,
        record,
        row_number() over (partition by category_id order by observed_at desc, loaded_at desc) as state_rank
    from {{ live_rows(source('ioc', 'report_categories')) }}
    where not is_deleted
)

select
    category_id,
    nullif(record ->> 'TenChuyenMuc', '') as category_name,
    {{ onestop_code("record ->> 'MucDoKhan'") }} as urgency
from states
where state_rank = 1
