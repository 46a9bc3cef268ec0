{#-
    QD942-01 documents between state agencies electronic and digitally signed (Decision
    942/QĐ-TTg), per sending agency and period of kind `period_kind` it was sent: documents sent
    electronically with a well-formed enveloped signature / documents sent through the axis.
-#}
{% macro measure__qd942_01(period_kind) %}
    {{ document_ratio('QD942-01', period_kind, 'documents.is_electronic and documents.is_signed') }}
{% endmacro %}
