-- Where a rejected record came from when the source can say (a replayed file's `file:line`).
alter table ops.rejects add column if not exists origin text;
comment on column ops.rejects.origin is
    'Where the record came from when the source says so: file:line of a line of a supplied file the replay sandbox served as it is; NULL otherwise.';
