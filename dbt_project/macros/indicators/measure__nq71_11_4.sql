{#-
    NQ71-11.4 electronic results issued (Resolution 71/NQ-CP): 766-4.1's formula (settled dossiers
    with a result document carrying a result-file link / dossiers settled).
-#}
{% macro measure__nq71_11_4(period_kind) %}
    {{ reuse_measure('NQ71-11.4', 'measure__766_4_1', period_kind) }}
{% endmacro %}
