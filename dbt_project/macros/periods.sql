{#- Reporting periods: every indicator is measured per local month, quarter and year. -#}

{#- The period kinds, shortest first; a measure macro is called once for each. -#}
{% macro period_kinds() -%}
    {{- return(['month', 'quarter', 'year']) -}}
{%- endmacro %}

{#- The first day of the period of kind `period_kind` (a quoted literal or a column) holding the
    local date `date_expr`. -#}
{% macro period_start_of(period_kind, date_expr) -%}
    date_trunc({{ period_kind }}, ({{ date_expr }})::timestamp)::date
{%- endmacro %}

{#- The length of a period of kind `period_kind` (a quoted literal or a column), as an interval. -#}
{% macro period_length(period_kind) -%}
    (case {{ period_kind }}
        when 'month' then interval '1 month'
        when 'quarter' then interval '3 months'
        when 'year' then interval '1 year'
    end)
{%- endmacro %}

{#- The province of a QCVN 102 agency id: its level-1 code (000.00.12.H57 → H57), NULL when the id
    has none. The province row's unit_id, distinct from the provincial People's Committee's own
    agency id (000.00.00.H57). -#}
{% macro agency_province(agency_id) -%}
    substring({{ agency_id }} from '\.([A-Z][0-9]{2})$')
{%- endmacro %}
