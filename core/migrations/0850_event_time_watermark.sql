-- How far a cursor or queue entity has loaded in event time, and how each entity is pulled
-- (issue 19 item 3): what coverage reads for entities that are not pulled by data interval.

alter table ops.watermarks add column if not exists event_time_from timestamptz;
alter table ops.watermarks add column if not exists event_time timestamptz;
comment on column ops.watermarks.event_time_from is
    'Cursor and queue entities: the earliest event time (the entity''s declared event_time field) of the records loaded; NULL before the first or for other entities.';
comment on column ops.watermarks.event_time is
    'Cursor and queue entities: the latest event time loaded, moved in the transaction of the batch that loaded it; a day ending at or before it is covered.';

alter table ops.source_entities add column if not exists pull_mode text not null default 'snapshot';
update ops.source_entities set pull_mode = 'window' where windowed;
alter table ops.source_entities add constraint source_entities_pull_mode_check
    check (pull_mode in ('window', 'snapshot', 'cursor', 'queue'));
comment on column ops.source_entities.pull_mode is
    'How the entity is pulled: window (its data interval; re-run replaces the batch), snapshot (a catalogue; only changes stored), cursor or queue (never re-read; covers days up to ops.watermarks.event_time).';
