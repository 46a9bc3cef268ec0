-- Submissions the department writes as files (ingestion.file_source): entered indicators, later
-- the DTI self-assessment. Every accepted file is kept, once (kind and sha256 are unique); a
-- refused file is never stored. Which submission is in force is decided by the models.
create table if not exists raw.file_submissions (
    submission_id bigserial primary key,
    kind text not null,
    file_name text not null,
    sha256 text not null,
    submitted_on date not null,
    row_count integer not null,
    loaded_at timestamptz not null default now(),
    unique (kind, sha256)
);
comment on table raw.file_submissions is
    'Every accepted file submission (one CSV): its kind, file name, sha256 and the submission date its name carries.';
create table if not exists raw.file_submission_rows (
    submission_id bigint not null references raw.file_submissions (submission_id),
    line integer not null,
    fields jsonb not null,
    primary key (submission_id, line)
);
comment on table raw.file_submission_rows is
    'The rows of each accepted submission as written (column → text), by line number in the file.';
