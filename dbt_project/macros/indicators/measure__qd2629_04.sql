{#-
    QD2629-04 dossiers and results digitised (Decision 2629/QĐ-TTg): 766-4.2's formula (settled
    dossiers with digitised components and an electronic result / dossiers settled).
-#}
{% macro measure__qd2629_04(period_kind) %}
    {{ reuse_measure('QD2629-04', 'measure__766_4_2', period_kind) }}
{% endmacro %}
