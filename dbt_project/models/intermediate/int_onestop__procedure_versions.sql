-- The procedure catalogue's history: one row per version of a procedure, valid from the first
-- time the catalogue was seen in that state until it was seen in another (or without it).
{{ onestop_catalogue_versions(
    ref('stg_onestop__procedures'),
    'procedure_id',
    [
        'procedure_name', 'field_code', 'field_name', 'procedure_level_code', 'implementing_agency_id',
        'implementing_agency_name', 'online_level_code', 'is_full_process_eligible', 'status_code',
        'delivery_methods', 'implementing_agencies', 'source_updated_at'
    ]
) }}
