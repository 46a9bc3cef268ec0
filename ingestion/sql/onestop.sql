-- Raw tables of the one-stop-shop interface. Append-only: a change at the source is a new row;
-- staging picks the latest version per natural key. record holds the original record as sent,
-- with personal identifiers already pseudonymised.
create table if not exists raw.onestop__dossiers (
    batch_id bigint not null,
    loaded_at timestamptz not null default now(),
    source_updated_at timestamptz not null,
    ma_ho_so text not null,
    version integer not null,
    record jsonb not null
);
create index if not exists onestop__dossiers_batch on raw.onestop__dossiers (batch_id);
create index if not exists onestop__dossiers_key on raw.onestop__dossiers (ma_ho_so, version);

create table if not exists raw.onestop__progress (
    batch_id bigint not null,
    loaded_at timestamptz not null default now(),
    source_updated_at timestamptz not null,
    ma_ho_so text not null,
    record jsonb not null
);
create index if not exists onestop__progress_batch on raw.onestop__progress (batch_id);

create table if not exists raw.onestop__procedures (
    batch_id bigint not null,
    loaded_at timestamptz not null default now(),
    source_updated_at timestamptz,
    ma_tthc text not null,
    record jsonb not null
);
create index if not exists onestop__procedures_batch on raw.onestop__procedures (batch_id);

create table if not exists raw.onestop__agencies (
    batch_id bigint not null,
    loaded_at timestamptz not null default now(),
    source_updated_at timestamptz,
    ma_don_vi text not null,
    record jsonb not null
);
create index if not exists onestop__agencies_batch on raw.onestop__agencies (batch_id);
