-- One row per dossier version, deduplicated (overlapping windows load a version twice) and
-- keyed by the resolved dossier id. Values renamed and cast; nothing derived.
with raw_versions as (
    select
        coalesce(codes.dossier_id, dossiers.ma_ho_so) as dossier_id,
        dossiers.ma_ho_so as source_code,
        dossiers.version,
        dossiers.batch_id,
        dossiers.loaded_at,
        dossiers.source_updated_at,
        dossiers.record,
        row_number() over (
            partition by coalesce(codes.dossier_id, dossiers.ma_ho_so), dossiers.version
            order by dossiers.source_updated_at desc, md5(dossiers.record::text) desc
        ) as copy_rank
    from {{ live_rows(source('onestop', 'dossiers')) }} as dossiers
    left join {{ ref('stg_onestop__dossier_codes') }} as codes
        on dossiers.ma_ho_so = codes.alt_code
)

select
    dossier_id,
    source_code,
    case
        when source_code <> dossier_id then source_code
        else nullif(record ->> 'MaHoSoKhac', '')
    end as dossier_alt_code,
    version,
    nullif(record ->> 'MaTTHC', '') as procedure_id,
    nullif(record ->> 'TenTTHC', '') as procedure_name,
    nullif(record ->> 'MaLinhVuc', '') as field_code,
    nullif(record ->> 'TenLinhVuc', '') as field_name,
    {{ onestop_code("record ->> 'KenhThucHien'") }} as channel_code,
    nullif(record ->> 'LoaiDoiTuong', '') as applicant_type,
    {{ onestop_code("record ->> 'TrangThaiHoSo'") }} as status_code,
    {{ onestop_code("record ->> 'TrangThaiDongBoDVC'") }} as portal_sync_code,
    nullif(record ->> 'DonViXuLy', '') as handling_agency_name,
    {{ onestop_ts("record ->> 'NgayNopHoSo'") }} as submitted_at,
    {{ onestop_ts("record ->> 'NgayTiepNhan'") }} as received_at,
    {{ onestop_ts("record ->> 'NgayHenTra'") }} as promised_at,
    {{ onestop_ts("record ->> 'NgayKetThucXuLy'") }} as processing_ended_at,
    {{ onestop_ts("record ->> 'NgayTra'") }} as returned_at,
    {{ onestop_ts("record ->> 'NgayTuChoi'") }} as refused_at,
    {{ onestop_flag("record ->> 'HoSoCoThanhPhanSoHoa'") }} as has_digitised_components,
    {{ onestop_flag("record ->> 'TaiKhoanDuocXacThucVoiVNeID'") }} as is_vneid_verified,
    nullif(record ->> 'DuocThanhToanTrucTuyen', '') as online_payment_code,
    {{ onestop_array("record -> 'DanhSachLePhi'") }} as fees,
    {{ onestop_array("record -> 'DanhSachHoSoBoSung'") }} as supplements,
    {{ onestop_array("record -> 'TaiLieuNop'") }} as attachments,
    {{ onestop_array("record -> 'DanhSachGiayToKetQua'") }} as result_documents,
    {{ onestop_array("record -> 'DSKetNoiCSDL'") }} as linked_databases,
    {{ onestop_ts("record ->> '_updated_at'") }} as version_updated_at,
    source_updated_at,
    md5(record::text) as record_hash,
    batch_id,
    loaded_at
from raw_versions
where copy_rank = 1
