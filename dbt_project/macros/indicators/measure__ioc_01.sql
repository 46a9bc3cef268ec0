{#-
    IOC-01 camera availability, per agency running the cameras, commune they stand in and period of
    kind `period_kind`: minutes the cameras were up / minutes they were in service, on the days the
    IOC's feeds cover (fct_camera_availability).
-#}
{% macro measure__ioc_01(period_kind) %}
    select
        'IOC-01' as indicator_id,
        placed.period_start,
        placed.agency_id,
        placed.admin_unit_code,
        placed.admin_unit_valid_from,
        sum(placed.minutes_up) as numerator,
        sum(placed.minutes_in_service) as denominator
    from (
        select
            {{ period_start_of("'" ~ period_kind ~ "'", 'availability.availability_date') }} as period_start,
            coalesce(availability.agency_id, 'unknown') as agency_id,
            availability.commune_code as admin_unit_code,
            {{ unit_valid_from_at('availability.commune_code', 'availability.availability_date') }}
                as admin_unit_valid_from,
            availability.minutes_up,
            availability.minutes_in_service
        from {{ ref('fct_camera_availability') }} as availability
    ) as placed
    group by placed.period_start, placed.agency_id, placed.admin_unit_code, placed.admin_unit_valid_from
{% endmacro %}
