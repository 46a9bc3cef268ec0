{#-
    NQ71-11.7 documents and work files processed end to end electronically (Resolution 71/NQ-CP),
    per agency and period of kind `period_kind`: documents sent electronically and signed plus work
    files processed online and signed personally / documents sent plus work files closed.
-#}
{% macro measure__nq71_11_7(period_kind) %}
    select
        indicator_id,
        period_start,
        agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from (
        {{ document_ratio('NQ71-11.7', period_kind, 'documents.is_electronic and documents.is_signed') }}
        union all
        {{ work_file_ratio(
            'NQ71-11.7', period_kind, 'work_files.is_processed_online and work_files.is_signed_personally'
        ) }}
    ) as both_kinds
    group by indicator_id, period_start, agency_id, admin_unit_code, admin_unit_valid_from
{% endmacro %}
