-- Administrative procedures of the catalogue with their history (one row per version), each
-- version with its default legal time limit: the first time option with a known unit, in
-- catalogue order.
with default_time_limits as (
    select
        procedure_id,
        valid_from,
        time_limit,
        time_limit_unit,
        row_number() over (
            partition by procedure_id, valid_from
            order by method_ordinal, option_ordinal
        ) as preference
    from {{ ref('int_onestop__procedure_time_limits') }}
    where time_limit is not null and time_limit_unit is not null
),

procedure_fees as (
    select
        procedure_id,
        valid_from,
        max(fee_amount) as fee_amount
    from {{ ref('int_onestop__procedure_time_limits') }}
    group by procedure_id, valid_from
)

select
    procedure_versions.procedure_id,
    procedure_versions.valid_from,
    procedure_versions.valid_to,
    procedure_versions.is_current,
    procedure_versions.procedure_name,
    procedure_versions.field_code,
    procedure_versions.field_name,
    procedure_versions.procedure_level_code,
    procedure_versions.online_level_code,
    coalesce(online_levels.online_level, 'none') as online_level,
    coalesce(procedure_versions.is_full_process_eligible, false) as is_full_process_eligible,
    default_time_limits.time_limit,
    default_time_limits.time_limit_unit,
    procedure_fees.fee_amount,
    coalesce(procedure_fees.fee_amount > 0, false) as has_fee,
    procedure_versions.implementing_agency_id,
    procedure_versions.status_code,
    procedure_versions.source_updated_at
from {{ ref('int_onestop__procedure_versions') }} as procedure_versions
left join {{ ref('onestop_online_levels') }} as online_levels
    on upper(procedure_versions.online_level_code) = online_levels.online_level_code
left join default_time_limits
    on
        procedure_versions.procedure_id = default_time_limits.procedure_id
        and procedure_versions.valid_from = default_time_limits.valid_from
        and default_time_limits.preference = 1
left join procedure_fees
    on
        procedure_versions.procedure_id = procedure_fees.procedure_id
        and procedure_versions.valid_from = procedure_fees.valid_from
