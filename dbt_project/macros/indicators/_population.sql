{#-
    The shapes the population interface's indicators share. The call indicators are read from
    fct_population_call per calling agency (the unknown member when the catalogue does not know the
    member code the log names) and the period of the call's local date; the e-ID indicator from
    fct_population_stats per commune.
-#}

{#- Calls made in the period of kind `period_kind`, per calling agency and its unit of government
    then: those meeting `numerator` / all calls (additive). -#}
{% macro population_call_ratio(indicator_id, period_kind, numerator) %}
    {{ placed_record_ratio(
        indicator_id,
        period_kind,
        ref('fct_population_call') ~ ' as calls',
        'calls.call_date',
        'calls.agency_id',
        agency_unit_at('calls.agency_id', 'calls.called_at', 'admin_unit_code'),
        agency_unit_at('calls.agency_id', 'calls.called_at', 'valid_from'),
        numerator
    ) }}
{% endmacro %}

{#- The `fraction` percentile of the calls' latency in seconds, in the period of kind `period_kind`,
    per calling agency and for the province: a percentile does not add up, so it is computed from
    the calls at each level (aggregate). Numerator: the calls with a latency; denominator: all. -#}
{% macro population_latency(indicator_id, period_kind, fraction) %}
    {%- set called_in = period_start_of("'" ~ period_kind ~ "'", 'calls.call_date') %}
    {%- for level in ['agency', 'province'] %}
        select
            '{{ indicator_id }}' as indicator_id,
            {{ called_in }} as period_start,
            '{{ level }}' as level,
            {%- if level == 'agency' %}
            coalesce(calls.agency_id, 'unknown') as unit_id,
            {%- else %}
            {{ installation_province_id() }} as unit_id,
            {%- endif %}
            count(calls.latency_ms) as numerator,
            count(*) as denominator,
            -- in whole tenths of a millisecond (the latencies are whole milliseconds; the float
            -- interpolation's last digits are noise)
            round((percentile_cont({{ fraction }}) within group (order by calls.latency_ms))::numeric, 1)
            / 1000 as value
        from {{ ref('fct_population_call') }} as calls
        group by
            {{ called_in }}
            {%- if level == 'agency' %}, coalesce(calls.agency_id, 'unknown'){% endif %}
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
{% endmacro %}
