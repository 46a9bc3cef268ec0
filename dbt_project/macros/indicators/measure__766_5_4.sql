{#-
    766-5.4 satisfaction with procedure handling (Decision 766/QĐ-TTg), per agency and reporting
    period of kind `period_kind`: 100 % − (overdue rate + rate of dossiers with a complaint or a
    "not satisfied" rating), over the dossiers 766-2.1 judges in the period
    (int_onestop__dossier_periods). Numerator = those dossiers neither late nor complained of (a
    feedback item naming the dossier, or a "not satisfied" rating, received before the period's
    as_of). A dossier both late and complained of is counted once: the two rates add up exactly
    when no dossier is both, and the value stays within 0–100 %.
-#}
{% macro measure__766_5_4(period_kind) %}
    with complaints as (
        select
            dossier_id,
            rated_at as complained_at
        from {{ ref('stg_onestop__ratings') }} as ratings
        inner join {{ ref('onestop_ratings') }} as rating_values
            on ratings.rating_code = rating_values.rating_code
        where rating_values.is_dissatisfied
        union all
        select
            dossier_id,
            received_at as complained_at
        from {{ ref('stg_onestop__feedback') }}
        where dossier_id is not null and received_at is not null
    ),

    first_complaints as (
        select
            dossier_id,
            min(complained_at) as first_complained_at
        from complaints
        group by dossier_id
    ),

    judged as (
        select
            dossier_periods.period_start,
            coalesce(dossier_periods.agency_id, 'unknown') as agency_id,
            dossiers.admin_unit_code,
            dossiers.admin_unit_valid_from,
            dossier_periods.is_on_time,
            coalesce(first_complaints.first_complained_at < dossier_periods.as_of, false) as is_complained_of
        from {{ ref('int_onestop__dossier_periods') }} as dossier_periods
        inner join {{ ref('fct_dossier') }} as dossiers
            on dossier_periods.dossier_id = dossiers.dossier_id
        left join first_complaints
            on dossier_periods.dossier_id = first_complaints.dossier_id
        where dossier_periods.period_kind = '{{ period_kind }}'
    )

    select
        '766-5.4' as indicator_id,
        period_start,
        agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        count(*) filter (where is_on_time and not is_complained_of) as numerator,
        count(*) as denominator
    from judged
    group by period_start, agency_id, admin_unit_code, admin_unit_valid_from
{% endmacro %}
