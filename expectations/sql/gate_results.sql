-- Every gate run, pass or fail, with GX's result document.
create schema if not exists ops;
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
