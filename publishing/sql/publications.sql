-- Publication ledger: every build that reached the gate, what happened to it, and which one BI reads.
create schema if not exists ops;
create schema if not exists bi;

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
