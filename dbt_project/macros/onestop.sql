{#- Conversions of the one-stop-shop record's string values. The only place they are written. -#}

{#- The parser (ingestion/sources/onestop.py, shapes in onestop_records.py) accepts exactly what
    these casts accept; tests/integration/test_parse_staging_agree.py feeds both the same values. -#}

{#- `yyyyMMddHHmmss` in local time (Asia/Ho_Chi_Minh) → timestamptz; '' → null.
    Anything else fails the query, not silently dropped: another length, a 30 February, and
    also an hour 24 or 25 or a minute 60, which PostgreSQL alone would roll over into the next
    hour or day (hence the round trip through to_char). -#}
{% macro onestop_ts(expr) -%}
    (case
        when nullif(btrim({{ expr }}), '') is null then null
        when
            btrim({{ expr }}) ~ '^[0-9]{14}$'
            and to_char(overlay(btrim({{ expr }}) placing 'T' from 9 for 0)::timestamp, 'YYYYMMDDHH24MISS')
            = btrim({{ expr }})
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
