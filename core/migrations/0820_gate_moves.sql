-- The gate compares each indicator's values with the live publication's, unless the indicator's
-- measure changed since: each build's hash of every computed indicator's measure macro and
-- catalogue row. A build refused only for moves keeps its copy so that an operator may publish
-- it (`dtimon publish --accept-moves BUILD`), which is recorded on the publication.
create table if not exists ops.measure_hashes (
    publication_id bigint not null references ops.publications (publication_id) on delete cascade,
    indicator_id text not null,
    measure_hash text not null,
    primary key (publication_id, indicator_id)
);
comment on table ops.measure_hashes is
    'Per build and computed indicator, md5 of its measure macro and catalogue row: the gate judges moves only of indicators whose hash equals the live publication''s.';
alter table ops.gate_results add column if not exists refused_for_moves_only boolean not null default false;
comment on column ops.gate_results.refused_for_moves_only is
    'Every critical failure was a value moving beyond its catalogue fail_move: the copy is kept and dtimon publish --accept-moves may publish it.';
alter table ops.publications add column if not exists accepted_moves_by text;
comment on column ops.publications.accepted_moves_by is
    'Who published this build although the gate refused it for moves only (dtimon publish --accept-moves), and when.';
