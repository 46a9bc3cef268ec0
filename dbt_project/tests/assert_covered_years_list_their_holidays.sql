-- A year marked covered must list its holidays: at least Tết Dương lịch, a Tết break, 30/4,
-- 1/5 and 2/9 (so at least five days off).
select
    coverage.calendar_year,
    count(holidays.holiday_date) as days_off
from {{ ref('calendar_coverage') }} as coverage
left join {{ ref('public_holidays') }} as holidays
    on
        coverage.calendar_year = extract(year from holidays.holiday_date)
        and holidays.kind = 'day_off'
where coverage.covered
group by coverage.calendar_year
having count(holidays.holiday_date) < 5
