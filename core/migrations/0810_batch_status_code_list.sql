-- Batch statuses become one code list: the seed dbt_project/seeds/batch_statuses.csv, synced into
-- ops.batch_statuses by core.migrations at every migrate (so a status added there is accepted
-- everywhere at once), referenced by a foreign key instead of a check listing them again.
create table if not exists ops.batch_statuses (
    status text primary key,
    is_live boolean not null,
    description text not null
);
comment on table ops.batch_statuses is
    'The statuses of ops.batches, synced from the seed batch_statuses.csv by every migrate; is_live marks the one whose raw rows are read.';
alter table ops.batches drop constraint if exists batches_status_check;
