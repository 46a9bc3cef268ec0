{#-
    The two shapes the Decision 766 one-stop ratios share (additive: numerator and denominator
    per agency and unit of government, summed across agencies). Each measure__<id> macro states
    its own population and numerator with these; the rules of the flags are in
    int_onestop__dossier_flags and of a remit in int_onestop__agency_procedure_periods.
-#}

{#- Dossiers counted once in the period of kind `period_kind` holding the local date of their
    `date_column` (received_at or settled_at of fct_dossier): `population` (a condition on
    `dossiers`, `dossier_flags` and the dossier's procedure version `procedure_versions`) is the
    denominator, those of it meeting `numerator` the numerator. -#}
{% macro onestop_dossier_ratio(indicator_id, period_kind, date_column, population, numerator) %}
    {%- set period = period_start_of("'" ~ period_kind ~ "'", local_date('dossiers.' ~ date_column)) %}
    select
        '{{ indicator_id }}' as indicator_id,
        {{ period }} as period_start,
        coalesce(dossiers.agency_id, 'unknown') as agency_id,
        dossiers.admin_unit_code,
        dossiers.admin_unit_valid_from,
        count(*) filter (where {{ numerator }}) as numerator,
        count(*) as denominator
    from {{ ref('fct_dossier') }} as dossiers
    inner join {{ ref('int_onestop__dossier_flags') }} as dossier_flags
        on dossiers.dossier_id = dossier_flags.dossier_id
    left join {{ ref('dim_procedure') }} as procedure_versions
        on
            dossiers.procedure_id = procedure_versions.procedure_id
            and dossiers.procedure_valid_from = procedure_versions.valid_from
    where dossiers.{{ date_column }} is not null and ({{ population }})
    group by {{ period }}, coalesce(dossiers.agency_id, 'unknown'), dossiers.admin_unit_code, dossiers.admin_unit_valid_from
{% endmacro %}

{#- Procedures in an agency's remit in the period of kind `period_kind` (each once): those
    meeting `population` are the denominator, those of them meeting `numerator` the numerator. -#}
{% macro onestop_procedure_ratio(indicator_id, period_kind, population, numerator) %}
    select
        '{{ indicator_id }}' as indicator_id,
        period_start,
        agency_id,
        admin_unit_code,
        admin_unit_valid_from,
        count(*) filter (where {{ numerator }}) as numerator,
        count(*) as denominator
    from {{ ref('int_onestop__agency_procedure_periods') }}
    where period_kind = '{{ period_kind }}' and ({{ population }})
    group by period_start, agency_id, admin_unit_code, admin_unit_valid_from
{% endmacro %}

{#- Records of `relation` (a ref with its alias) where `judged`, in the period of kind `period_kind`
    holding local date `day`, per agency (`agency_id`; 'unknown' when null) and the unit of
    government they happened in (`unit_code`, `unit_valid_from`): those meeting `counted` / all
    (additive). The shape of every source's record ratio whose unit is not the one-stop's. -#}
{% macro placed_record_ratio(indicator_id, period_kind, relation, day, agency_id, unit_code, unit_valid_from, counted, judged='true') %}
    select
        '{{ indicator_id }}' as indicator_id,
        placed.period_start,
        placed.agency_id,
        placed.admin_unit_code,
        placed.admin_unit_valid_from,
        count(*) filter (where placed.is_counted) as numerator,
        count(*) as denominator
    from (
        select
            {{ period_start_of("'" ~ period_kind ~ "'", day) }} as period_start,
            coalesce({{ agency_id }}, 'unknown') as agency_id,
            {{ unit_code }} as admin_unit_code,
            {{ unit_valid_from }} as admin_unit_valid_from,
            coalesce({{ counted }}, false) as is_counted
        from {{ relation }}
        where {{ judged }}
    ) as placed
    group by placed.period_start, placed.agency_id, placed.admin_unit_code, placed.admin_unit_valid_from
{% endmacro %}
