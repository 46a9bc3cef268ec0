{#- Conversions of the one-stop-shop record's string values. The only place they are written. -#}

{#- `yyyyMMddHHmmss` in local time (Asia/Ho_Chi_Minh) → timestamptz; '' → null.
    A malformed value fails the query: it is not silently dropped. -#}
{% macro onestop_ts(expr) -%}
    (overlay(nullif(btrim({{ expr }}), '') placing 'T' from 9 for 0)::timestamp
        at time zone '{{ var("local_timezone") }}')
{%- endmacro %}

{#- A number sent as text ("5", "0.5", "0,5") → numeric; anything else → null. -#}
{% macro onestop_number(expr) -%}
    (case
        when btrim({{ expr }}) ~ '^[0-9]+([.,][0-9]+)?$'
            then replace(btrim({{ expr }}), ',', '.')::numeric
    end)
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
