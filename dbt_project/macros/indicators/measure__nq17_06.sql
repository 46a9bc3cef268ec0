{#-
    NQ17-06 users authenticated with a unified e-ID, read as VNeID level-2 accounts / residents, per
    commune and for the province, from the population interface's monthly figures: for a quarter or
    a year, each commune's latest month in it (stocks are not summed over months). Aggregate: the
    commune rows (a commune the unit seed knows then) and the province's sum over all its communes.
-#}
{% macro measure__nq17_06(period_kind) %}
    {%- set period = period_start_of("'" ~ period_kind ~ "'", 'stats.month_start') %}
    {%- set latest_months %}
        select distinct on ({{ period }}, stats.commune_code)
            {{ period }} as period_start,
            stats.commune_code,
            stats.admin_unit_valid_from,
            stats.level2_accounts,
            stats.residents
        from {{ ref('fct_population_stats') }} as stats
        order by {{ period }}, stats.commune_code, stats.month_start desc
    {%- endset %}
    select
        'NQ17-06' as indicator_id,
        communes.period_start,
        'commune' as level,
        communes.commune_code as unit_id,
        communes.level2_accounts as numerator,
        communes.residents as denominator,
        communes.level2_accounts::numeric / nullif(communes.residents, 0) as value
    from ({{ latest_months }}) as communes
    where communes.admin_unit_valid_from is not null
    union all
    select
        'NQ17-06' as indicator_id,
        communes.period_start,
        'province' as level,
        {{ installation_province_id() }} as unit_id,
        sum(communes.level2_accounts) as numerator,
        sum(communes.residents) as denominator,
        sum(communes.level2_accounts)::numeric / nullif(sum(communes.residents), 0) as value
    from ({{ latest_months }}) as communes
    group by communes.period_start
{% endmacro %}
