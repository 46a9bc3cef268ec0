{#-
    766-2.2 average settlement time (Decision 766/QĐ-TTg, not scored), per agency and local month
    of settlement: working days from reception to the end of processing, supplement waits
    subtracted, summed over the dossiers settled (status 9/10) in the month / those dossiers. The
    sum and the count add up across agencies, so the province's mean is the mean of its dossiers.
-#}
{% macro measure__766_2_2() %}
    select
        '766-2.2' as indicator_id,
        dossier_months.period_month,
        coalesce(dossier_months.agency_id, 'unknown') as agency_id,
        sum(dossier_months.elapsed_working_days) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__dossier_months') }} as dossier_months
    inner join {{ ref('fct_dossier') }} as dossiers
        on dossier_months.dossier_id = dossiers.dossier_id
    where
        dossiers.is_settled
        and not dossier_months.is_open_at_as_of
        and date_trunc('month', {{ local_date('dossier_months.processing_ended_at') }})::date
        = dossier_months.period_month
    group by dossier_months.period_month, coalesce(dossier_months.agency_id, 'unknown')
{% endmacro %}
