{{ config(materialized='table') }}
-- One row per supplement request of a dossier (DOMAIN.md §3.3): an entry of its supplement list
-- or a move into status 5 seen in its versions or its progress rows. Records of one request
-- overlap in time (the list entry and the status moves it caused), so overlapping waits are
-- merged into one request: from its first request to the latest completion any record shows
-- (NULL while none shows one: still waiting).
-- Status 5 is "supplement requested" (seed onestop_dossier_statuses).
with version_steps as (
    select
        dossier_versions.dossier_id,
        dossier_versions.version_updated_at as stepped_at,
        coalesce(dossier_versions.status_code = '5', false) as is_waiting,
        lag(coalesce(dossier_versions.status_code = '5', false)) over (
            partition by dossier_versions.dossier_id order by dossier_versions.version
        ) as was_waiting,
        min(
            case when dossier_versions.status_code is distinct from '5' then dossier_versions.version_updated_at end
        ) over (
            partition by dossier_versions.dossier_id
            order by dossier_versions.version
            rows between 1 following and unbounded following
        ) as next_move_out_at
    from {{ ref('stg_onestop__dossier_versions') }} as dossier_versions
    where dossier_versions.version_updated_at is not null
),

progress_steps as (
    select
        progress.dossier_id,
        progress.processed_at as stepped_at,
        coalesce(progress.status_code = '5', false) as is_waiting,
        lag(coalesce(progress.status_code = '5', false)) over (
            partition by progress.dossier_id order by progress.processed_at, progress.status_code
        ) as was_waiting,
        min(case when progress.status_code is distinct from '5' then progress.processed_at end) over (
            partition by progress.dossier_id
            order by progress.processed_at, progress.status_code
            rows between 1 following and unbounded following
        ) as next_move_out_at
    from {{ ref('stg_onestop__progress') }} as progress
    where progress.processed_at is not null
),

request_records as (
    select
        dossier_id,
        requested_at,
        supplied_at,
        'list' as shown_by
    from {{ ref('stg_onestop__supplements') }}
    where requested_at is not null
    union all
    select
        dossier_id,
        stepped_at as requested_at,
        next_move_out_at as supplied_at,
        'versions' as shown_by
    from version_steps
    where is_waiting and not coalesce(was_waiting, false)
    union all
    select
        dossier_id,
        stepped_at as requested_at,
        next_move_out_at as supplied_at,
        'progress' as shown_by
    from progress_steps
    where is_waiting and not coalesce(was_waiting, false)
),

-- A record starts a new request when it begins after every earlier record of the dossier ended.
ordered_records as (
    select
        dossier_id,
        requested_at,
        supplied_at,
        shown_by,
        max(coalesce(supplied_at, 'infinity'::timestamptz)) over (
            partition by dossier_id
            order by requested_at, supplied_at nulls last, shown_by
            rows between unbounded preceding and 1 preceding
        ) as earlier_records_end_at
    from request_records
),

numbered_records as (
    select
        dossier_id,
        requested_at,
        supplied_at,
        shown_by,
        sum(case when earlier_records_end_at is null or requested_at > earlier_records_end_at then 1 else 0 end)
            over (
                partition by dossier_id
                order by requested_at, supplied_at nulls last, shown_by
                rows between unbounded preceding and current row
            ) as request_number
    from ordered_records
)

select
    dossier_id,
    request_number::integer as request_number,
    min(requested_at) as requested_at,
    max(supplied_at) as supplied_at,
    bool_or(shown_by = 'list') as is_in_list,
    bool_or(shown_by = 'versions') as is_in_versions,
    bool_or(shown_by = 'progress') as is_in_progress
from numbered_records
group by dossier_id, request_number
