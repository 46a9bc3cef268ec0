"""The one-stop-shop record shapes, declared once as msgspec structs.

Each struct names the fields of one native record that staging reads, with the kind of value
each must hold (the kinds, the privacy rules and everything derived from a declaration are
shared by every source: `ingestion/declarations.py`). The native format sends every value as a
string, "" when missing. The staging macros (`onestop_ts`, `onestop_number`, `onestop_code` in
`dbt_project/macros/onestop.sql`) cast the same kinds the same way, and
`tests/integration/test_parse_staging_agree.py` proves it value by value.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from ingestion.declarations import (
    AGENCY_ID,
    DOSSIER_CODE,
    REQUEST_ID,
    Decimal,
    FreeText,
    Integer,
    Key,
    LocalTime,
    Personal,
    Record,
    RequiredLocalTime,
    Text,
    code,
)

#: The one-stop-shop's code lists: seeds in dbt_project/seeds/ that staging joins too.
DOSSIER_STATUSES = "onestop_dossier_statuses"
CHANNELS = "onestop_channels"
ONLINE_LEVELS = "onestop_online_levels"
AGENCY_LEVELS = "onestop_agency_levels"
TIME_LIMIT_UNITS = "onestop_time_limit_units"
PORTAL_SYNC_STATUSES = "onestop_portal_sync_statuses"
RATINGS = "onestop_ratings"
FEEDBACK_STATUSES = "onestop_feedback_statuses"

Status = code(DOSSIER_STATUSES)
Channel = code(CHANNELS)
DossierCode = Annotated[Key, DOSSIER_CODE]
AgencyId = Annotated[Key, AGENCY_ID]


class Supplement(msgspec.Struct, kw_only=True):
    """A supplement request (DanhSachHoSoBoSung[])."""

    HoSoBoSungId: Text = ""
    TrangThaiBoSung: Text = ""
    NgayBoSung: LocalTime = ""
    NgayTiepNhanBoSung: LocalTime = ""
    NgayHenTraTruoc: LocalTime = ""
    NgayHenTraMoi: LocalTime = ""
    NguoiYeuCauBoSung: Personal = ""
    NguoiTiepNhanBoSung: Personal = ""
    NoiDungBoSung: FreeText = ""


class DossierFee(msgspec.Struct, kw_only=True):
    """A fee of a dossier (DanhSachLePhi[])."""

    Gia: Decimal = ""
    TenPhiLePhi: Text = ""
    MaPhiLePhi: Text = ""
    HinhThucThu: Text = ""
    LoaiPhiLePhi: Text = ""


class Identity(msgspec.Struct, kw_only=True):
    """An identity document of the applicant (DinhDanhCHS[])."""

    LoaiDinhDanh: Text = ""
    SoDinhDanh: Personal = ""


class LinkedDatabase(msgspec.Struct, kw_only=True):
    """A national database the dossier was checked against (DSKetNoiCSDL[]), with the request id
    of the lookup (an assumed field): the call log of the national-database interface carries it
    as the call's message id."""

    MaCSDL: Text = ""
    MaYeuCau: Annotated[Text, REQUEST_ID] = ""


class Attachment(msgspec.Struct, kw_only=True):
    """A file submitted with the dossier (TaiLieuNop[])."""

    TepDinhKemId: Text = ""
    TenTepDinhKem: FreeText = ""
    IsDeleted: Text = ""
    MaThanhPhanHoSo: Text = ""
    DuongDanTaiTepTin: Text = ""  # a portal URL (ids only; the final check refuses a citizen id)
    DuocSoHoa: Text = ""
    DuocTaiSuDung: Text = ""
    DuocLayTuKhoDMQG: Text = ""


class ResultDocument(msgspec.Struct, kw_only=True):
    """A result document of the dossier (DanhSachGiayToKetQua[])."""

    TenGiayTo: FreeText = ""
    MaThanhPhanHoSo: Text = ""
    GiayToId: Text = ""
    DuongDanTepTinKetQua: Text = ""  # a portal URL
    MaGiayToKetQua: Text = ""


class Dossier(Record, kw_only=True):
    """One dossier version (DongBoHoSoMC record)."""

    MaHoSo: DossierCode
    version: Integer = msgspec.field(name="_version")
    updated_at: RequiredLocalTime = msgspec.field(name="_updated_at")
    MaHoSoKhac: Text = ""
    MaTTHC: Text = ""
    TenTTHC: Text = ""
    MaLinhVuc: Text = ""
    TenLinhVuc: Text = ""
    DonViXuLy: Text = ""
    LoaiDoiTuong: Text = ""
    ChuHoSo: Personal = ""
    SoGiayToChuHoSo: Personal = ""
    MaDoiTuong: Personal = ""
    SoDienThoai: Personal = ""
    Email: Personal = ""
    Fax: Personal = ""
    DiaChiChuHoSo: Personal = ""
    TrichYeuHoSo: FreeText = ""
    GhiChu: FreeText = ""
    ThongTinKhac: FreeText = ""
    HinhThuc: Text = ""
    NoiNopHoSo: Text = ""
    HoSoCoThanhPhanSoHoa: Text = ""
    TaiKhoanDuocXacThucVoiVNeID: Text = ""
    DuocThanhToanTrucTuyen: Text = ""
    NgayNopHoSo: LocalTime = ""
    NgayTiepNhan: LocalTime = ""
    NgayHenTra: LocalTime = ""
    NgayKetThucXuLy: LocalTime = ""
    NgayTra: LocalTime = ""
    NgayTuChoi: LocalTime = ""
    TrangThaiHoSo: Status
    KenhThucHien: Channel = ""
    #: the portal's sync status of the dossier (assumed field: the sender's own flag, 0/1)
    TrangThaiDongBoDVC: code(PORTAL_SYNC_STATUSES) = ""
    DanhSachHoSoBoSung: list[Supplement] = []
    DanhSachLePhi: list[DossierFee] = []
    DinhDanhCHS: list[Identity] = []
    DSKetNoiCSDL: list[LinkedDatabase] = []
    TaiLieuNop: list[Attachment] = []
    DanhSachGiayToKetQua: list[ResultDocument] = []


class Progress(Record, kw_only=True):
    """One processing step (CapNhatTienDoHoSoMC record)."""

    MaHoSo: DossierCode
    ThoiDiemXuLy: RequiredLocalTime
    TrangThai: Status
    NgayBatDau: LocalTime = ""
    NgayKetThucTheoQuyDinh: LocalTime = ""
    NguoiXuLy: Personal = ""
    ChucDanh: Text = ""
    PhongBanXuLy: Text = ""
    NoiDungXuLy: FreeText = ""


class ProcedureFee(msgspec.Struct, kw_only=True):
    MUCPHI: Decimal = ""
    MAPHILEPHI: Text = ""
    TENPHILEPHI: Text = ""
    MOTA: Text = ""


class TimeOption(msgspec.Struct, kw_only=True):
    THOIGIANGIAIQUYET: Decimal = ""
    DONVITINH: Text = ""
    PHILEPHI: list[ProcedureFee] = []


class DeliveryMethod(msgspec.Struct, kw_only=True):
    KENH: Text = ""
    THOIGIAN: list[TimeOption] = []


class Field(msgspec.Struct, kw_only=True):
    MALINHVUC: Text = ""
    TENLINHVUC: Text = ""


class ImplementingAgency(msgspec.Struct, kw_only=True):
    MADONVI: Text = ""
    TENDONVI: Text = ""


class Procedure(Record, kw_only=True):
    """One procedure of the catalogue (LayThuTuc record)."""

    MATTHC: Key
    NGAYCAPNHAT: LocalTime = ""
    TENTTHC: Text = ""
    CAPTHUCHIEN: Text = ""
    MUCDODVC: Text = ""
    DUDIEUKIENTOANTRINH: Text = ""
    TRANGTHAI: Text = ""
    CACHTHUCTHUCHIEN: list[DeliveryMethod] = []
    LINHVUCTHUCHIEN: list[Field] = []
    COQUANTHUCHIEN: list[ImplementingAgency] = []


class Agency(Record, kw_only=True):
    """One agency of the catalogue (LayDanhMucCoQuan record)."""

    MADONVI: AgencyId
    NGAYCAPNHAT: LocalTime = ""
    TENDONVI: Text = ""
    CAPDONVI: Text = ""
    MADONVICHA: Text = ""
    MADVHC: Text = ""


class Rating(Record, kw_only=True):
    """One satisfaction rating of a dossier as the national portal syncs it (DanhGiaHaiLong
    record; the pull's shape is assumed: ingestion/sandbox/README.md)."""

    MaHoSo: DossierCode
    ThoiGianDanhGia: RequiredLocalTime
    DanhGia: code(RATINGS)
    LoaiDanhGia: Text = ""
    NguoiDanhGia: Personal = ""
    NoiDungDanhGia: FreeText = ""


class Feedback(Record, kw_only=True):
    """One version of a feedback item (phản ánh, kiến nghị: PAKN) on a procedure or a dossier,
    with the dates of its handling (assumed shape: ingestion/sandbox/README.md)."""

    MaPAKN: Key
    NgayCapNhat: RequiredLocalTime
    TrangThai: code(FEEDBACK_STATUSES)
    MaHoSo: Annotated[Text, DOSSIER_CODE] = ""  # the dossier it concerns (a complaint), or ""
    MaTTHC: Text = ""
    MaDonVi: Annotated[Text, AGENCY_ID] = ""  # the agency handling it
    TieuDe: FreeText = ""
    NoiDung: FreeText = ""
    NguoiGui: Personal = ""
    SoGiayToNguoiGui: Personal = ""
    SoDienThoai: Personal = ""
    Email: Personal = ""
    NgayTiepNhan: LocalTime = ""
    NgayTuChoi: LocalTime = ""
    NgayYeuCauBoSung: LocalTime = ""
    NgayTraLoi: LocalTime = ""
