-- What each build's `dbt source freshness` found per source (issue 19 item 6): a stale or empty
-- source is a warning recorded here, never a failed build; the build reads the latest check of
-- each source to mark the indicators that read it provisional, and the gate warns naming it.
create table if not exists ops.source_freshness (
    source_freshness_id bigint generated always as identity primary key,
    run_id text,
    source text not null,
    checked_at timestamptz not null default now(),
    status text not null check (status in ('pass', 'warn', 'error', 'runtime error')),
    newest_loaded_at timestamptz
);
comment on table ops.source_freshness is
    'One row per source and freshness check of a build: the worst status of its tables (pass, warn, error, runtime error) and its newest load (NULL when it has none).';
create index if not exists source_freshness_latest on ops.source_freshness (source, checked_at desc);
