{#-
    DA06-03 median latency of the calls to the national population database, in seconds from the
    request reaching the platform to its answer going back (responseOutTs − requestInTs), per
    calling agency and for the province, in the period of kind `period_kind` (aggregate).
-#}
{% macro measure__da06_03(period_kind) %}
    {{ population_latency('DA06-03', period_kind, 0.5) }}
{% endmacro %}
