{#-
    NQ71-11.6 online payment in procedures (Resolution 71/NQ-CP): 766-3.6's formula (received
    dossiers paid online / received dossiers of fee-bearing procedures whose own fee is not waived).
-#}
{% macro measure__nq71_11_6(period_kind) %}
    {{ reuse_measure('NQ71-11.6', 'measure__766_3_6', period_kind) }}
{% endmacro %}
