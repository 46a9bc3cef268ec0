-- One row per work file (hồ sơ công việc), as its latest version says, with the unit of
-- government its agency belonged to when it was opened.
select
    work_files.work_file_id,
    work_files.agency_id,
    {{ agency_unit_at('work_files.agency_id', 'work_files.opened_at', 'admin_unit_code') }} as admin_unit_code,
    {{ agency_unit_at('work_files.agency_id', 'work_files.opened_at', 'unit_valid_from') }} as admin_unit_valid_from,
    work_files.opened_at,
    work_files.closed_at,
    work_files.is_processed_online,
    work_files.is_signed_personally,
    work_files.updated_at
from {{ ref('stg_edoc__work_files') }} as work_files
