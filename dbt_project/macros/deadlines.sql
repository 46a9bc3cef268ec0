{#- When a limit counted from `moment` ends: `within_hours` after it, or else the end of the
    `within_working_days`-th working day after the day whose working-day index is `counted_from_index`
    (int_calendar__days: the one calendar). -#}
{% macro deadline_after(moment, within_hours, within_working_days, counted_from_index) -%}
    (case
        when {{ within_hours }} is not null then {{ moment }} + make_interval(hours => {{ within_hours }})
        else (
            select {{ local_midnight('min(calendar.calendar_date) + 1') }}
            from {{ ref('int_calendar__days') }} as calendar
            where calendar.is_working_day and calendar.working_day_index = {{ counted_from_index }} + {{ within_working_days }}
        )
    end)
{%- endmacro %}
