-- The legal time limits of every procedure version: one row per delivery channel
-- (CACHTHUCTHUCHIEN) and time option (THOIGIAN), in the order the catalogue lists them, with
-- its unit and fee.
with options as (
    select
        procedure_versions.procedure_id,
        procedure_versions.valid_from,
        methods.ordinal::integer as method_ordinal,
        {{ onestop_code("methods.method ->> 'KENH'") }} as channel_code,
        time_options.ordinal::integer as option_ordinal,
        time_options.time_option
    from {{ ref('int_onestop__procedure_versions') }} as procedure_versions
    cross join
        lateral jsonb_array_elements(procedure_versions.delivery_methods)
        with ordinality as methods (method, ordinal)
    cross join
        lateral jsonb_array_elements({{ onestop_array("methods.method -> 'THOIGIAN'") }})
        with ordinality as time_options (time_option, ordinal)
),

fees as (
    select
        options.procedure_id,
        options.valid_from,
        options.method_ordinal,
        options.option_ordinal,
        max({{ onestop_number("fee_items.fee ->> 'MUCPHI'") }}) as fee_amount
    from options
    cross join
        lateral jsonb_array_elements({{ onestop_array("options.time_option -> 'PHILEPHI'") }}) as fee_items (fee)
    group by options.procedure_id, options.valid_from, options.method_ordinal, options.option_ordinal
)

select
    options.procedure_id,
    options.valid_from,
    options.method_ordinal,
    options.channel_code,
    options.option_ordinal,
    {{ onestop_number("options.time_option ->> 'THOIGIANGIAIQUYET'") }} as time_limit,
    nullif(options.time_option ->> 'DONVITINH', '') as time_limit_unit_text,
    units.time_limit_unit,
    fees.fee_amount
from options
left join {{ ref('onestop_time_limit_units') }} as units
    on lower(normalize(btrim(options.time_option ->> 'DONVITINH'))) = units.unit_text
left join fees
    on
        options.procedure_id = fees.procedure_id
        and options.valid_from = fees.valid_from
        and options.method_ordinal = fees.method_ordinal
        and options.option_ordinal = fees.option_ordinal
