{#-
    DA06-01 calls to the national population database, per calling agency and period of kind
    `period_kind` (the calls' local date): how many lookups and verifications the province's
    systems made through the integration platform (a count: numerator, no denominator).
-#}
{% macro measure__da06_01(period_kind) %}
    select
        measured.indicator_id,
        measured.period_start,
        measured.agency_id,
        measured.admin_unit_code,
        measured.admin_unit_valid_from,
        measured.denominator as numerator,
        null::numeric as denominator
    from ({{ population_call_ratio('DA06-01', period_kind, 'true') }}) as measured
{% endmacro %}
