{#-
    DA06-02 success rate of the calls to the national population database, per calling agency and
    period of kind `period_kind`: calls the log marks succeeded / calls.
-#}
{% macro measure__da06_02(period_kind) %}
    {{ population_call_ratio('DA06-02', period_kind, 'calls.is_succeeded') }}
{% endmacro %}
