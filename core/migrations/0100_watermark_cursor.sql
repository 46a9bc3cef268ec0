-- Cursor-based entities resume from the cursor stored beside their watermark (issue 5, item 1).
alter table ops.watermarks add column if not exists cursor text;
comment on column ops.watermarks.cursor is
    'Where the next pull of a cursor-based entity resumes (an ISO time, a record number or an opaque token the source returned); NULL for windowed and snapshot entities.';
