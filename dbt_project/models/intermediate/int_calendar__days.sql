{{ config(materialized='table') }}
-- Every day of the years the holiday seed covers, with the working-day flag, a running
-- working-day index (the working days in (d1, d2] are index(d2) - index(d1)) and the first
-- working day on or after it (a day off at the edge of a deadline moves there: DOMAIN.md §3.3).
with covered_years as (
    select calendar_year
    from {{ ref('calendar_coverage') }}
    where covered
),

days as (
    select
        covered_years.calendar_year,
        make_date(covered_years.calendar_year, 1, 1) + day_offsets.day_offset as calendar_date
    from covered_years
    cross join lateral generate_series(
        0,
        make_date(covered_years.calendar_year, 12, 31) - make_date(covered_years.calendar_year, 1, 1)
    ) as day_offsets (day_offset)
),

classified as (
    select
        days.calendar_date,
        days.calendar_year,
        extract(isodow from days.calendar_date)::integer as iso_weekday,
        holidays.kind as holiday_kind,
        holidays.name_vi as holiday_name_vi,
        holidays.name_en as holiday_name_en,
        case
            when holidays.kind = 'makeup_working_day' then true
            when holidays.kind = 'day_off' then false
            else extract(isodow from days.calendar_date) < 6
        end as is_working_day
    from days
    left join {{ ref('public_holidays') }} as holidays
        on days.calendar_date = holidays.holiday_date
)

select
    calendar_date,
    calendar_year,
    iso_weekday,
    holiday_kind,
    holiday_name_vi,
    holiday_name_en,
    is_working_day,
    sum(case when is_working_day then 1 else 0 end) over (
        order by calendar_date rows between unbounded preceding and current row
    )::integer as working_day_index,
    min(case when is_working_day then calendar_date end) over (
        order by calendar_date rows between current row and unbounded following
    ) as next_working_date
from classified
