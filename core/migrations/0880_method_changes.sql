-- The gate's hash of an indicator covers its whole method (issue: a gate stuck after a change of
-- method): the measure macro, the catalogue row and the dbt lineage of ind_values (models, seeds,
-- macros). It is a method hash now, recorded when a build is staged; a publication names the
-- indicators whose method changed, and their restatements say so.
alter table if exists ops.measure_hashes rename to method_hashes;
alter table ops.method_hashes rename column measure_hash to method_hash;
comment on table ops.method_hashes is
    'Per build and computed indicator, md5 of its method: measure macro, catalogue row and the dbt lineage of ind_values (models, seeds, project macros). The gate judges moves and disappearances only of indicators whose hash equals the live publication''s.';
alter table ops.publications add column if not exists method_changed text[];
comment on column ops.publications.method_changed is
    'Indicators whose method hash differs from the one of the publication live when this build was staged (empty: none; NULL: nothing to compare with). Their values were recomputed by a new rule: the gate did not judge their moves.';
alter table ops.restatements add column if not exists method_changed boolean not null default false;
comment on column ops.restatements.method_changed is
    'The indicator''s method changed in this publication: the value was recomputed by a new rule (measure, catalogue row or dbt lineage), not restated by new data.';
comment on column ops.gate_results.refused_for_moves_only is
    'Every critical failure was a value moving beyond its catalogue fail_move or a published value disappearing: the copy is kept and dtimon publish --accept-moves may publish it.';
comment on column ops.publications.accepted_moves_by is
    'Who published this build although the gate refused it for moves or disappearances only (dtimon publish --accept-moves), and when.';
