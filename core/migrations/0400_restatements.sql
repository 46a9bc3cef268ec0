-- Restatements: published values that a later publication changed or removed.
create table if not exists ops.restatements (
    publication_id bigint not null references ops.publications (publication_id) on delete cascade,
    previous_publication_id bigint references ops.publications (publication_id) on delete set null,
    indicator_id text not null,
    unit_level text not null,
    unit_id text not null,
    period_month date not null,
    change text not null check (change in ('changed', 'removed')),
    old_value numeric,
    new_value numeric,
    old_numerator numeric,
    new_numerator numeric,
    old_denominator numeric,
    new_denominator numeric,
    recorded_at timestamptz not null default now(),
    primary key (publication_id, indicator_id, unit_level, unit_id, period_month)
);
comment on table ops.restatements is
    'Published indicator values that a later publication changed or removed: one row per (publication, indicator, unit, month), with the values before and after. New months are not restatements.';
comment on column ops.restatements.publication_id is 'The publication that changed the value.';
comment on column ops.restatements.previous_publication_id is 'The publication BI showed before it (the old value''s source).';
comment on column ops.restatements.change is 'changed: value, numerator or denominator differ; removed: the value is no longer published.';
