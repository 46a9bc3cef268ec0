-- Every attempt leaves a trace, duplicates are counted, undeclared source fields are reported (issue 6).

alter table ops.batches drop constraint if exists batches_status_check;
alter table ops.batches add constraint batches_status_check
    check (status in ('started', 'succeeded', 'replaced', 'failed', 'abandoned'));
alter table ops.batches add column if not exists backend_pid integer;
alter table ops.batches add column if not exists rows_duplicate integer;
comment on column ops.batches.backend_pid is
    'The PostgreSQL backend of the loader while the batch is started; a started batch whose backend is gone was killed and is marked abandoned.';
comment on column ops.batches.rows_duplicate is
    'Records of the pull with the natural key of another record of the same pull; one copy is kept, chosen by version, source update time, then record hash.';
comment on table ops.batches is
    'Batch ledger: one row per load attempt of one source entity over one interval, committed as started before any page is read, then succeeded or failed; a started attempt of a killed process becomes abandoned. At most one succeeded batch per interval; reloading marks the previous one replaced and deletes its raw rows in the same transaction.';

-- A started batch of a process that is gone (the ledger row of a killed attempt).
update ops.batches as b
set status = 'abandoned', finished_at = now(), error = 'abandoned: the loading process ended without finishing'
where b.status = 'started'
    and not exists (select from pg_stat_activity as a where a.pid = b.backend_pid);

create table if not exists ops.unknown_fields (
    source text not null,
    entity text not null,
    field_path text not null,
    first_seen timestamptz not null default now(),
    last_seen timestamptz not null default now(),
    records bigint not null default 0,
    primary key (source, entity, field_path)
);
comment on table ops.unknown_fields is
    'Fields a source sent that its record shapes do not declare (personal, free text or plain): their values are stored only pseudonymised. records counts the records that carried the field, summed over batches.';
