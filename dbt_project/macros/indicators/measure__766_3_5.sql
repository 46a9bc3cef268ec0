{#-
    766-3.5 fee-bearing procedures integrated with online payment (Decision 766/QĐ-TTg), per agency
    and reporting period of kind `period_kind`: fee-bearing procedures in the agency's remit (a
    non-zero fee in the catalogue) with at least one dossier received in the period and paid
    online (the integration shown in use) / fee-bearing procedures in its remit.
-#}
{% macro measure__766_3_5(period_kind) %}
    {{ onestop_procedure_ratio('766-3.5', period_kind, 'has_fee', 'has_online_payment') }}
{% endmacro %}
