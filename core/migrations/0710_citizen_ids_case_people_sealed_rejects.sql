-- No citizen id or name in clear (issue 16): why a field is reported, the people of each case
-- kept as pseudonyms for later records, and a refused record's original kept only encrypted.

-- A field is reported as undeclared, or as a declared plain field that held a citizen id (its
-- value stored pseudonymised): one row per field and reason.
alter table ops.unknown_fields add column if not exists reason text not null default 'undeclared';
alter table ops.unknown_fields drop constraint if exists unknown_fields_pkey;
alter table ops.unknown_fields add primary key (source, entity, field_path, reason);
comment on column ops.unknown_fields.reason is
    'undeclared: the source shapes do not declare the field; citizen id: a declared plain field held a citizen id (in any spelling), stored pseudonymised.';

-- The pseudonyms of a case's people (the names among a dossier's personal values, undeclared
-- ones included), of their spelling with and without diacritics, written with the batch that
-- met them: free text of any later record of the case (a progress step, another day) is
-- searched for them.
create table if not exists ops.case_people (
    source text not null,
    case_key text not null,
    entity text not null,
    pseudonym text not null,
    first_seen timestamptz not null default now(),
    primary key (source, case_key, entity, pseudonym)
);
comment on table ops.case_people is
    'Pseudonyms (never clear values) of the names among the personal values of each case (source, case key: a dossier code), spelled with and without diacritics. The pseudonymiser looks them up a page at a time to hide a case''s people from the free text of its later records.';

-- Only with DTIMON_REJECTS_KEY set: the refused record as received, AES-GCM encrypted.
alter table ops.rejects add column if not exists original_sealed bytea;
comment on column ops.rejects.original_sealed is
    'The refused record as received, encrypted with AES-256-GCM under DTIMON_REJECTS_KEY (12-byte nonce, then ciphertext and tag); null unless the operator set that key.';
comment on table ops.rejects is
    'Records that could not be loaded, with the reason. record_text is the record with its personal fields pseudonymised and its free text scrubbed (never clear personal data); original_sealed, only when the operator asked for it, the original encrypted.';
