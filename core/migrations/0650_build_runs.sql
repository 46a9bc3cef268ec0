-- Every build step (dbt source freshness, dbt build, the gate) leaves a row: written as running
-- before the step starts, then finished as succeeded or failed with its message (masked: no
-- password, no long digit run; bounded to its last 4000 characters, where dbt says what failed).
create table if not exists ops.build_runs (
    build_run_id bigint generated always as identity primary key,
    run_id text,
    step text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
    message text check (length(message) <= 4000)
);
comment on table ops.build_runs is
    'One row per attempt of a build step (dbt source freshness, dbt build, gate): running, then succeeded or failed with its masked, bounded message.';
create index if not exists build_runs_by_run on ops.build_runs (run_id, started_at);
