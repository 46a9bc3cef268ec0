{#- Conversions of the one-stop-shop record's string values. The only place they are written. -#}

{#- The parser (ingestion/sources/onestop.py, shapes in onestop_records.py) accepts exactly what
    these casts accept; tests/integration/test_parse_staging_agree.py feeds both the same values. -#}

{#- `yyyyMMddHHmmss` in local time (Asia/Ho_Chi_Minh) → timestamptz; '' → null.
    Anything else fails the query, not silently dropped: another length, a year outside
    1976–2199 (FIRST_YEAR–LAST_YEAR of ingestion/localtime.py, where UTC+7 is exact), a month 13, an hour 24 or a minute 60 (which PostgreSQL alone would roll over
    into the next hour or day), and a 30 February (refused by the cast). -#}
{% macro onestop_ts(expr) -%}
    (case
        when nullif(btrim({{ expr }}), '') is null then null
        when
            btrim({{ expr }})
            ~ '^(19[89][0-9]|197[6-9]|2[01][0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$'
            then overlay(btrim({{ expr }}) placing 'T' from 9 for 0)::timestamp
        else ('not a yyyyMMddHHmmss time: ' || ({{ expr }}))::timestamp
    end at time zone '{{ var("local_timezone") }}')
{%- endmacro %}

{#- A number sent as text ("5", "0.5", "0,5", spaces around) → numeric; '' → null; anything
    else → null (the parser rejects it, so raw never holds one). The pattern is NUMBER_PATTERN
    of onestop_records.py. -#}
{% macro onestop_number(expr) -%}
    (case
        when btrim({{ expr }}) ~ '^[0-9]+([.,][0-9]+)?$'
            then replace(btrim({{ expr }}), ',', '.')::numeric
    end)
{%- endmacro %}

{#- A code sent as text (status, channel, …) → the code without surrounding spaces; '' → null.
    Codes are checked against their code-list seed by the models' tests. -#}
{% macro onestop_code(expr) -%}
    nullif(btrim({{ expr }}), '')
{%- endmacro %}

{#- A "0"/"1" flag → boolean; anything else → null. -#}
{% macro onestop_flag(expr) -%}
    (case btrim({{ expr }}) when '1' then true when '0' then false end)
{%- endmacro %}

{#- A jsonb value that should be an array → that array, or [] when missing or not an array. -#}
{% macro onestop_array(expr) -%}
    (case when jsonb_typeof({{ expr }}) = 'array' then {{ expr }} else '[]'::jsonb end)
{%- endmacro %}

{#- The local calendar date of a timestamptz. -#}
{% macro local_date(expr) -%}
    (({{ expr }}) at time zone '{{ var("local_timezone") }}')::date
{%- endmacro %}

{#- The instant a local date begins, as timestamptz. -#}
{% macro local_midnight(expr) -%}
    (({{ expr }})::timestamp at time zone '{{ var("local_timezone") }}')
{%- endmacro %}
