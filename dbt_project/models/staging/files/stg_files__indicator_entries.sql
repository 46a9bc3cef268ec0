-- Every row of every accepted `entries` submission (raw.file_submission_rows), typed, with the
-- file and date of its submission. int_entered_indicator_values keeps the one in force.
select
    submissions.submission_id,
    submissions.file_name,
    submissions.submitted_on,
    submission_rows.line,
    submission_rows.fields ->> 'indicator_id' as indicator_id,
    submission_rows.fields ->> 'level' as level,  -- noqa: RF04
    submission_rows.fields ->> 'unit_id' as unit_id,
    submission_rows.fields ->> 'period_kind' as period_kind,
    (submission_rows.fields ->> 'period_start')::date as period_start,
    (submission_rows.fields ->> 'numerator')::numeric as numerator,
    (submission_rows.fields ->> 'denominator')::numeric as denominator
from {{ source('files', 'file_submission_rows') }} as submission_rows
inner join {{ source('files', 'file_submissions') }} as submissions
    on submission_rows.submission_id = submissions.submission_id
where submissions.kind = 'entries'
