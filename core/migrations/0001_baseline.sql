-- Baseline: the ops, raw and bi schemas and the pipeline's own tables, as the earlier ensure_schema
-- DDL created them (ingestion/sql/ops.sql, publishing/sql/publications.sql,
-- expectations/sql/gate_results.sql). Written with "if not exists" so a warehouse created by that
-- DDL adopts this migration unchanged. Raw tables are not here: each source declares its own
-- (core.migrations creates them from the source registry).
create schema if not exists ops;
create schema if not exists raw;
create schema if not exists bi;

create table if not exists ops.batches (
    batch_id bigint generated always as identity primary key,
    source text not null,
    entity text not null,
    interval_start timestamptz not null,
    interval_end timestamptz not null,
    status text not null check (status in ('succeeded', 'replaced', 'failed')),
    rows_loaded integer not null default 0,
    rows_rejected integer not null default 0,
    pages integer not null default 0,
    run_id text,
    error text,
    started_at timestamptz not null,
    finished_at timestamptz not null default now(),
    replaced_by bigint references ops.batches (batch_id)
);
comment on table ops.batches is
    'Batch ledger: one row per load attempt of one source entity over one interval. At most one succeeded batch per interval; reloading marks the previous one replaced and deletes its raw rows in the same transaction.';
create unique index if not exists batches_one_live_per_interval
    on ops.batches (source, entity, interval_start, interval_end) where status = 'succeeded';

create table if not exists ops.watermarks (
    source text not null,
    entity text not null,
    watermark timestamptz not null,
    batch_id bigint not null references ops.batches (batch_id),
    updated_at timestamptz not null default now(),
    primary key (source, entity)
);
comment on table ops.watermarks is 'Highest interval end loaded so far per source entity.';

create table if not exists ops.rejects (
    reject_id bigint generated always as identity primary key,
    batch_id bigint not null references ops.batches (batch_id) on delete cascade,
    source text not null,
    entity text not null,
    record_text text not null,
    reason text not null,
    rejected_at timestamptz not null default now()
);
comment on table ops.rejects is
    'Records that could not be loaded, with the reason. record_text is the original text with personal identifiers pseudonymised.';

-- Publication ledger: every build that reached the gate, what happened to it, and which one BI reads.

create table if not exists ops.publications (
    publication_id bigint generated always as identity primary key,
    schema_name text not null unique,
    status text not null
        check (status in ('candidate', 'published', 'superseded', 'rejected', 'rolled_back')),
    run_id text,
    relations text [] not null default '{}',
    row_counts jsonb not null default '{}',
    created_at timestamptz not null default now(),
    published_at timestamptz,
    note text
);
comment on table ops.publications is
    'One row per candidate build copied out of marts: candidate, then published (what bi reads), superseded by a later one, rejected by the gate, or rolled back.';
create unique index if not exists publications_one_live on ops.publications ((true)) where status = 'published';
comment on schema bi is 'The only schema BI tools and the index report read. Changed only by dtimon publish.';

-- Every gate run, pass or fail, with GX's result document.
create table if not exists ops.gate_results (
    gate_result_id bigint generated always as identity primary key,
    publication_id bigint not null,
    schema_name text not null,
    run_id text,
    success boolean not null,
    evaluated integer not null,
    failed_critical integer not null,
    failed_warning integer not null,
    results jsonb not null,
    validated_at timestamptz not null default now()
);
comment on table ops.gate_results is
    'Great Expectations gate results per candidate build. success=false means the candidate was not published.';
create index if not exists gate_results_publication on ops.gate_results (publication_id);

-- The role BI tools log in as (granted usage on bi only, by publish). Needs CREATEROLE; without
-- it bi stays readable by its owner only. Roles are cluster-wide: the loser of a race between
-- warehouses of one server migrating at once gets unique_violation (or duplicate_object, when the
-- winner commits between its check and its create).
do $$
begin
    if not exists (select from pg_roles where rolname = 'dtimon_bi_reader') then
        create role dtimon_bi_reader nologin;
    end if;
exception
    when insufficient_privilege then
        raise warning 'cannot create role dtimon_bi_reader (no CREATEROLE): bi stays readable by its owner only';
    when unique_violation or duplicate_object then
        null;  -- made by another warehouse's migration that committed first
end
$$;
