-- Only roles granted CONNECT may open this database: PUBLIC loses CONNECT (and TEMPORARY,
-- as in 0550), the BI reader gets CONNECT here and on no other database; the owner keeps both.
-- Not the owner (a server given by URL): a warning; its administrator runs these (publishing/README.md).
do $$
begin
    execute format('revoke connect, temporary on database %I from public', current_database());
exception when insufficient_privilege then
    raise warning 'not the owner of this database: PUBLIC may still connect to it';
end
$$;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'dtimon_bi_reader') then
        execute format('grant connect on database %I to dtimon_bi_reader', current_database());
    end if;
exception when insufficient_privilege then
    raise warning 'not the owner of this database: the BI reader is not granted CONNECT on it';
end
$$;
