-- What the source registry holds, which origin filled each source, and what a catalogue pull stored.

create table if not exists ops.source_entities (
    source text not null,
    entity text not null,
    windowed boolean not null,
    raw_table text not null,
    primary key (source, entity)
);
comment on table ops.source_entities is
    'Every entity of every registered source, written from the source registry on each migrate: windowed = pulled by data interval; false = a catalogue pulled whole on every run.';

create table if not exists ops.source_origins (
    source text primary key,
    origin text not null,
    first_loaded_at timestamptz not null default now()
);
comment on table ops.source_origins is
    'The endpoint URL, or the sandbox data folder or seed, that filled each source. An ingest from another origin is refused (dtimon reset-source starts the source afresh).';

alter table ops.batches add column if not exists rows_received integer;
alter table ops.batches add column if not exists rows_unchanged integer;
alter table ops.batches add column if not exists rows_deleted integer;
comment on column ops.batches.rows_loaded is
    'Rows the batch wrote to its raw table (for a catalogue: new or changed records plus tombstones).';
comment on column ops.batches.rows_received is
    'Valid distinct records the pull delivered (rejects and in-batch duplicates excluded).';
comment on column ops.batches.rows_unchanged is
    'Catalogues only: records identical to the latest stored version of their key (not stored again).';
comment on column ops.batches.rows_deleted is
    'Catalogues only: tombstones written for keys absent from this complete pull.';
