-- The BI side's roles: a NOLOGIN reader that owns nothing and is granted `bi` only (publish
-- grants it every view it creates), and the LOGIN role Metabase connects with, a member of it.
-- No password here: `publishing.bi_login.apply_bi_password` sets it from DTIMON_BI_PASSWORD.
-- Roles are cluster-wide: the block creates or changes them only where they differ, so
-- re-running writes nothing, and warehouses of one server migrating at once do not collide
-- (the loser of a race to make them gets unique_violation once the winner has committed, or
-- duplicate_object when the winner commits between its check and its create).
-- A warehouse login without CREATEROLE (a server given by URL) gets a warning, not a failure:
-- bi then stays readable by its owner only.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'dtimon_bi_reader') then
        create role dtimon_bi_reader nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'dtimon_metabase') then
        create role dtimon_metabase login inherit nocreatedb nocreaterole;
    end if;
    -- The login reads through the reader's grants (it inherits them, no SET ROLE needed); its
    -- sessions are read-only by default on top of having no write privilege anywhere.
    if not pg_has_role('dtimon_metabase', 'dtimon_bi_reader', 'member') then
        grant dtimon_bi_reader to dtimon_metabase;
    end if;
    if not exists (
        select 1 from pg_db_role_setting
        where setdatabase = 0 and setrole = 'dtimon_metabase'::regrole
          and setconfig @> array['default_transaction_read_only=on', 'search_path=bi']
    ) then
        alter role dtimon_metabase set default_transaction_read_only = on;
        alter role dtimon_metabase set search_path = bi;
    end if;
exception
    when insufficient_privilege then
        raise warning 'cannot create the BI roles (no CREATEROLE): bi stays readable by its owner only';
    when unique_violation or duplicate_object then
        null;  -- made by another warehouse's migration that committed first
end
$$;

create schema if not exists bi;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'dtimon_bi_reader') then
        grant usage on schema bi to dtimon_bi_reader;
    end if;
end
$$;
-- PostgreSQL 15+ no longer lets PUBLIC create in `public`; say so for older servers too. Nor
-- temporary tables: PUBLIC may create them in every database by default. Only the owner can.
do $$
begin
    revoke create on schema public from public;
    execute format('revoke temporary on database %I from public', current_database());
exception when insufficient_privilege then
    raise warning 'not the owner of this database: PUBLIC keeps its default rights on it';
end
$$;
