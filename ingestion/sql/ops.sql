-- Pipeline state owned by ingestion: batch ledger, watermarks, rejected records.
create schema if not exists ops;
create schema if not exists raw;

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
