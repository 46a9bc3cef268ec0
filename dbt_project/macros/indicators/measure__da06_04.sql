{#-
    DA06-04 95th-percentile latency of the calls to the national population database, in seconds,
    per calling agency and for the province, in the period of kind `period_kind` (aggregate).
-#}
{% macro measure__da06_04(period_kind) %}
    {{ population_latency('DA06-04', period_kind, 0.95) }}
{% endmacro %}
