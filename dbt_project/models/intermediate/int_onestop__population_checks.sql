-- One row per one-stop dossier and check against the national population database it lists
-- (DSKetNoiCSDL entries whose code is the population database's, seed onestop_linked_databases),
-- matched with the population interface's call log when the entry names the lookup's request id
-- (MaYeuCau, an assumed field): the call the dossier's agency made with that message id. A check
-- naming a request id is confirmed only by a call that succeeded; one naming none stands on the
-- one-stop's word.
with dossiers as (
    select
        dossier_id,
        linked_databases
    from {{ ref('stg_onestop__dossiers') }}
),

checks as (
    select
        dossiers.dossier_id,
        entries.entry_n as entry_position,
        nullif(btrim(entries.linked ->> 'MaYeuCau'), '') as request_id
    from dossiers
    cross join lateral jsonb_array_elements(dossiers.linked_databases) with ordinality as entries (linked, entry_n)
    inner join {{ ref('onestop_linked_databases') }} as database_codes
        on btrim(entries.linked ->> 'MaCSDL') = database_codes.database_code
    where jsonb_typeof(entries.linked) = 'object' and database_codes.is_population_database
),

agencies as (
    select
        dossier_id,
        agency_id
    from {{ ref('fct_dossier') }}
),

matched as (
    select
        checks.dossier_id,
        checks.entry_position,
        checks.request_id,
        count(calls.request_id) as calls_found,
        coalesce(bool_or(calls.is_succeeded), false) as is_call_succeeded
    from checks
    left join agencies
        on checks.dossier_id = agencies.dossier_id
    left join {{ ref('fct_population_call') }} as calls
        on checks.request_id = calls.request_id and agencies.agency_id = calls.agency_id
    group by checks.dossier_id, checks.entry_position, checks.request_id
)

select
    dossier_id,
    entry_position,
    request_id,
    calls_found,
    is_call_succeeded,
    request_id is null or is_call_succeeded as is_confirmed
from matched
