-- One row per work file (hồ sơ công việc), as its latest version says, with the unit of
-- government its agency belonged to when it was opened.
select
    work_files.work_file_id,
    work_files.agency_id,
    (
        select agency_units.admin_unit_code
        from {{ ref('int_agency_units') }} as agency_units
        where
            agency_units.agency_id = work_files.agency_id
            and work_files.opened_at >= agency_units.valid_from
            and work_files.opened_at < agency_units.valid_to
        order by agency_units.valid_from desc
        limit 1
    ) as admin_unit_code,
    (
        select agency_units.unit_valid_from
        from {{ ref('int_agency_units') }} as agency_units
        where
            agency_units.agency_id = work_files.agency_id
            and work_files.opened_at >= agency_units.valid_from
            and work_files.opened_at < agency_units.valid_to
        order by agency_units.valid_from desc
        limit 1
    ) as admin_unit_valid_from,
    work_files.opened_at,
    work_files.closed_at,
    work_files.is_processed_online,
    work_files.is_signed_personally,
    work_files.updated_at
from {{ ref('stg_edoc__work_files') }} as work_files
