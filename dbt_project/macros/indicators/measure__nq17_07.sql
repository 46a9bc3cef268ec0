{#-
    NQ17-07 documents exchanged between state agencies electronically (Resolution 17/NQ-CP), per
    sending agency and period of kind `period_kind` it was sent: documents sent through the axis
    whose envelope's paper flag is 0 / documents sent through the axis.
-#}
{% macro measure__nq17_07(period_kind) %}
    {{ document_ratio('NQ17-07', period_kind, 'documents.is_electronic') }}
{% endmacro %}
