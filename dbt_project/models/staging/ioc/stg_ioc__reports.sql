-- Citizen field reports as their latest stored state says, one row per report: a report is
-- stored again when it is answered or its handling completes. Coordinates are as sent (rounded
-- to 3 decimals by ingestion); fct_field_report swaps a pair given the wrong way round.
with states as (
    select
        report_id,
        created_at,
        record,
        row_number() over (
            partition by report_id
            order by
                (record ->> 'NgayTraLoi') is not null desc,
                (record ->> 'NgayXuLy') is not null desc,
                loaded_at desc,
                batch_id desc
        ) as state_rank,
        count(*) over (partition by report_id) as state_count
    from {{ live_rows(source('ioc', 'reports')) }}
)

select
    report_id,
    {{ onestop_code("record ->> 'MaDinhDanh'") }} as agency_id,
    {{ onestop_code("record ->> 'MaXa'") }} as commune_code,
    {{ onestop_code("record ->> 'ChuyenMucID'") }} as category_id,
    {{ onestop_code("record ->> 'MucDoKhan'") }} as urgency,
    created_at,
    {{ onestop_ts("record ->> 'NgayTraLoi'") }} as answered_at,
    {{ onestop_ts("record ->> 'NgayXuLy'") }} as processed_at,
    {{ onestop_number("record ->> 'ViDo'") }} as latitude_as_sent,
    {{ onestop_number("record ->> 'KinhDo'") }} as longitude_as_sent,
    state_count
from states
where state_rank = 1
