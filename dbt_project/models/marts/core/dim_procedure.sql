-- Administrative procedures of the catalogue (latest snapshot), with their default legal time
-- limit: the first time option with a known unit, in catalogue order.
with default_time_limits as (
    select
        procedure_id,
        time_limit,
        time_limit_unit,
        row_number() over (
            partition by procedure_id
            order by method_ordinal, option_ordinal
        ) as preference
    from {{ ref('stg_onestop__procedure_time_limits') }}
    where time_limit is not null and time_limit_unit is not null
),

procedure_fees as (
    select
        procedure_id,
        max(fee_amount) as fee_amount
    from {{ ref('stg_onestop__procedure_time_limits') }}
    group by procedure_id
)

select
    procedure_catalogue.procedure_id,
    procedure_catalogue.procedure_name,
    procedure_catalogue.field_code,
    procedure_catalogue.field_name,
    procedure_catalogue.procedure_level_code,
    procedure_catalogue.online_level_code,
    case upper(procedure_catalogue.online_level_code)
        when 'TOANTRINH' then 'full'
        when 'MOTPHAN' then 'partial'
        when '4' then 'full'
        when '3' then 'partial'
        else 'none'
    end as online_level,
    coalesce(procedure_catalogue.is_full_process_eligible, false) as is_full_process_eligible,
    default_time_limits.time_limit,
    default_time_limits.time_limit_unit,
    procedure_fees.fee_amount,
    coalesce(procedure_fees.fee_amount > 0, false) as has_fee,
    procedure_catalogue.implementing_agency_id,
    procedure_catalogue.status_code,
    procedure_catalogue.source_updated_at
from {{ ref('stg_onestop__procedures') }} as procedure_catalogue
left join default_time_limits
    on
        procedure_catalogue.procedure_id = default_time_limits.procedure_id
        and default_time_limits.preference = 1
left join procedure_fees
    on procedure_catalogue.procedure_id = procedure_fees.procedure_id
