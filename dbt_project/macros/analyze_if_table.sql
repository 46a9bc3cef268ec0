{% macro analyze_if_table() %}
    {#- `analyze` the relation just built when it is a table (a post-hook; views need none). -#}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{% endmacro %}
