-- Staged backfills (`dtimon backfill`): a backfill's windowed batches are loaded as `staged`, read
-- only by the backfill's own build, and become live in the publish transaction (or `refused`).
create table if not exists ops.backfills (
    backfill_id bigint generated always as identity primary key,
    source text not null,
    range_start date not null,
    range_end date not null check (range_end > range_start),
    status text not null default 'staged' check (status in ('staged', 'published', 'refused')),
    publication_id bigint references ops.publications (publication_id),
    reason text,
    created_at timestamptz not null default now(),
    finished_at timestamptz
);
comment on table ops.backfills is
    'One row per dtimon backfill: its source and local days [range_start, range_end), staged while its build runs, then published (as publication_id) or refused (reason). Its batches are the ops.batches rows naming it.';
-- one backfill at a time: a second one waits until the first is published or refused
create unique index if not exists backfills_one_staged on ops.backfills ((true)) where status = 'staged';

alter table ops.batches add column if not exists backfill_id bigint references ops.backfills (backfill_id);
comment on column ops.batches.backfill_id is 'The backfill that loaded this batch (staged, then succeeded or refused); null for an ordinary load.';
create index if not exists batches_backfill on ops.batches (backfill_id) where backfill_id is not null;
