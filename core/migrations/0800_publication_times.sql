-- A publication's `published_at` is when it was first published and never changes; `live_since`
-- is when it last became what bi reads (a publish or a rollback), `pruned_at` when its copy was
-- dropped (noted once, and a rollback to it is refused).
alter table ops.publications add column if not exists live_since timestamptz;
alter table ops.publications add column if not exists pruned_at timestamptz;
update ops.publications set live_since = published_at where live_since is null and published_at is not null;
update ops.publications
set pruned_at = coalesce(published_at, created_at),
    note = concat_ws('; ', nullif(regexp_replace(note, '(; )?copy pruned', '', 'g'), ''), 'copy pruned')
where pruned_at is null and note like '%copy pruned%';
comment on column ops.publications.published_at is 'When the build was first published; never changes.';
comment on column ops.publications.live_since is 'When the build last became what bi reads (its publish, or a rollback to it).';
comment on column ops.publications.pruned_at is 'When its pub_NNNNNN copy was dropped (only the last few are kept); it cannot be rolled back to.';
