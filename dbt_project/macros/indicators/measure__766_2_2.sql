{#-
    766-2.2 average settlement time (Decision 766/QĐ-TTg, not scored), per agency and reporting
    period of kind `period_kind` in which the dossier was settled: working days from reception to
    the end of processing, supplement waits subtracted, summed over the dossiers settled (status
    9/10) in the period / those dossiers, per unit of government at reception too. The sum and the
    count add up across agencies and units, so a commune's or the province's mean is the mean of
    its dossiers.
-#}
{% macro measure__766_2_2(period_kind) %}
    select
        '766-2.2' as indicator_id,
        dossier_periods.period_start,
        coalesce(dossier_periods.agency_id, 'unknown') as agency_id,
        dossiers.admin_unit_code,
        dossiers.admin_unit_valid_from,
        sum(dossier_periods.elapsed_working_days) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__dossier_periods') }} as dossier_periods
    inner join {{ ref('fct_dossier') }} as dossiers
        on dossier_periods.dossier_id = dossiers.dossier_id
    where
        dossier_periods.period_kind = '{{ period_kind }}'
        and dossiers.is_settled
        and not dossier_periods.is_open_at_as_of
        and {{ period_start_of("'" ~ period_kind ~ "'", local_date('dossier_periods.processing_ended_at')) }}
        = dossier_periods.period_start
    group by
        dossier_periods.period_start,
        coalesce(dossier_periods.agency_id, 'unknown'),
        dossiers.admin_unit_code,
        dossiers.admin_unit_valid_from
{% endmacro %}
