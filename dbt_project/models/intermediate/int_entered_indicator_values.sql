-- The entered value in force per indicator, unit and period: the one of the latest submission
-- (by submission date, then the later kept file). An entered indicator is one the catalogue
-- marks `entered`; a row of an indicator no longer so is dropped here.
with ranked_entries as (
    select
        entries.*,
        row_number() over (
            partition by
                entries.indicator_id, entries.level, entries.unit_id, entries.period_kind, entries.period_start
            order by entries.submitted_on desc, entries.submission_id desc
        ) as place
    from {{ ref('stg_files__indicator_entries') }} as entries
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on entries.indicator_id = catalogue.indicator_id
    where catalogue.not_computed_because = 'entered'
)

select
    indicator_id,
    level,
    unit_id,
    period_kind,
    period_start,
    numerator,
    denominator,
    submission_id,
    file_name,
    submitted_on
from ranked_entries
where place = 1
