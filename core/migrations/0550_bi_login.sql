-- The BI side's roles: a NOLOGIN reader that owns nothing and is granted `bi` only (publish
-- grants it every view it creates), and the LOGIN role Metabase connects with, a member of it.
-- No password here: `publishing.bi_login.apply_bi_password` sets it from DTIMON_BI_PASSWORD.
-- Roles are cluster-wide: the block creates them only if missing (re-running is harmless).
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'dtimon_bi_reader') then
        create role dtimon_bi_reader nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'dtimon_metabase') then
        create role dtimon_metabase login inherit nocreatedb nocreaterole;
    end if;
end
$$;

-- The login reads through the reader's grants (it inherits them, no SET ROLE needed); its
-- sessions are read-only by default on top of having no write privilege anywhere.
grant dtimon_bi_reader to dtimon_metabase;
alter role dtimon_metabase set default_transaction_read_only = on;
alter role dtimon_metabase set search_path = bi;

create schema if not exists bi;
grant usage on schema bi to dtimon_bi_reader;
-- PostgreSQL 15+ no longer lets PUBLIC create in `public`; say so for older servers too.
revoke create on schema public from public;
-- Nor temporary tables: PUBLIC may create them in every database by default.
do $$
begin
    execute format('revoke temporary on database %I from public', current_database());
end
$$;
