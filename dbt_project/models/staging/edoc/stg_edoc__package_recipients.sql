-- The recipients a package names (To[]), one row per package and recipient.
with packages as (
    select
        item_id,
        document_id,
        record,
        row_number() over (partition by item_id order by loaded_at asc, batch_id asc) as copy_rank
    from {{ live_rows(source('edoc', 'packages')) }}
)

select distinct on (packages.item_id, recipients.recipient ->> 'OrganId')
    packages.item_id,
    packages.document_id,
    recipients.recipient ->> 'OrganId' as recipient_agency_id
from packages
cross join lateral jsonb_array_elements({{ onestop_array("packages.record -> 'To'") }}) as recipients (recipient)
where packages.copy_rank = 1 and nullif(recipients.recipient ->> 'OrganId', '') is not null
order by packages.item_id asc, recipients.recipient ->> 'OrganId' asc
