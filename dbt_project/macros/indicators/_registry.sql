{#-
    The indicator measures the project defines: every macro named `measure__<indicator>` (one file
    per indicator in this folder). Macros are the one kind of definition dbt knows completely at
    parse time, so the union that calls them records its refs (and so its place in the DAG) without
    a hand-kept list; see int_indicator_measures.
-#}
{% macro indicator_measures() -%}
    {%- set names = [] -%}
    {%- for name in context -%}
        {%- if name.startswith('measure__') -%}{%- do names.append(name) -%}{%- endif -%}
    {%- endfor -%}
    {{- return(names | sort) -}}
{%- endmacro %}

{#- Calls the measure macro `name` (a name returned by indicator_measures) for one period kind. -#}
{% macro call_indicator_measure(name, period_kind) -%}
    {{- context[name](period_kind) -}}
{%- endmacro %}

{#- The additive measure `name` (a measure__ macro) for one period kind, reported as `indicator_id`:
    an indicator of another framework defined by that measure's formula reuses it (one formula in
    one place) instead of restating it. -#}
{% macro reuse_measure(indicator_id, name, period_kind) -%}
    select
        '{{ indicator_id }}' as indicator_id,
        formula.period_start,
        formula.agency_id,
        formula.admin_unit_code,
        formula.admin_unit_valid_from,
        formula.numerator,
        formula.denominator
    from ({{ call_indicator_measure(name, period_kind) }}) as formula
{%- endmacro %}
