{#-
    NQ17-05 document-management systems connected to the national document axis (Resolution
    17/NQ-CP), per agency and period of kind `period_kind` the document exchange covers: agencies
    the seed edoc_document_systems flags as running a system in the period (and the agency catalogue
    knows, still working) that sent or received at least one package through the axis in it / agencies
    so flagged. An agency counts 1 or 0; the province sums them.
-#}
{% macro measure__nq17_05(period_kind) %}
    with periods as (
        select
            period_start,
            period_starts_at,
            period_ends_at
        from {{ ref('int_reporting_periods') }}
        where source_name = 'edoc' and period_kind = '{{ period_kind }}'
    ),

    -- each agency of the catalogue once, with when it stopped working (null while it works)
    catalogue_agencies as (
        select distinct on (agency_id)
            agency_id,
            active_until
        from {{ ref('dim_agency') }}
        order by agency_id asc, valid_from desc
    ),

    flagged as (
        select distinct
            periods.period_start,
            periods.period_starts_at,
            periods.period_ends_at,
            systems.agency_id
        from periods
        inner join {{ ref('edoc_document_systems') }} as systems
            on
                {{ local_midnight('systems.in_use_from') }} < periods.period_ends_at
                and (
                    systems.in_use_to is null
                    or {{ local_midnight('systems.in_use_to') }} > periods.period_starts_at
                )
        inner join catalogue_agencies
            on
                systems.agency_id = catalogue_agencies.agency_id
                and (catalogue_agencies.active_until is null or catalogue_agencies.active_until > periods.period_starts_at)
    ),

    -- who took part in each package: its sender and every recipient it names
    exchanges as (
        select
            sender_agency_id as agency_id,
            created_at
        from {{ ref('stg_edoc__packages') }}
        union all
        select
            recipients.recipient_agency_id as agency_id,
            packages.created_at
        from {{ ref('stg_edoc__package_recipients') }} as recipients
        inner join {{ ref('stg_edoc__packages') }} as packages
            on recipients.item_id = packages.item_id
    )

    select
        'NQ17-05' as indicator_id,
        flagged.period_start,
        flagged.agency_id,
        {{ agency_unit_at('flagged.agency_id', 'flagged.period_starts_at', 'admin_unit_code') }} as admin_unit_code,
        {{ agency_unit_at('flagged.agency_id', 'flagged.period_starts_at', 'unit_valid_from') }} as admin_unit_valid_from,
        case
            when exists (
                select
                from exchanges
                where
                    exchanges.agency_id = flagged.agency_id
                    and exchanges.created_at >= flagged.period_starts_at
                    and exchanges.created_at < flagged.period_ends_at
            ) then 1
            else 0
        end as numerator,
        1 as denominator
    from flagged
{% endmacro %}
