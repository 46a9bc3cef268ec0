{#-
    QD2629-05 digitised data reused in procedures (Decision 2629/QĐ-TTg): 766-4.3's formula
    (received dossiers with a component flagged as digitised data / dossiers received).
-#}
{% macro measure__qd2629_05(period_kind) %}
    {{ reuse_measure('QD2629-05', 'measure__766_4_3', period_kind) }}
{% endmacro %}
