"""The one-stop-shop record shapes, declared once as msgspec structs.

Each struct names the fields of one native record that staging reads, with the kind of value
each must hold. The parser (`ingestion/sources/onestop.py`) validates records against these
declarations and takes its field lists from them; the staging macros (`onestop_ts`,
`onestop_number`, `onestop_code` in `dbt_project/macros/onestop.sql`) cast the same kinds the
same way, and `tests/integration/test_parse_staging_agree.py` proves it value by value.

Kinds (the native format sends every value as a string, "" when missing):

- `Text`: any string (a number is tolerated and read as its digits);
- `Key`: a non-empty string;
- `LocalTime`: "" or `yyyyMMddHHmmss` local time (a real date and time, years 1900–2199);
- `Number`: "" or digits with an optional "." or "," decimal part ("5", "0.5", "0,5");
- `Code[<seed>]`: one of the codes of a code-list seed (`core/code_lists.py`); "" only where
  the field is optional;
- a list of a nested struct: missing or "" is the empty list.

Surrounding spaces are ignored by every kind, on both sides.

Privacy by allow-list: every field the source sends is declared here, as `Personal`
(pseudonymised before anything else reads the record), `FreeText` (citizen ids, phone numbers,
e-mails and personal values of the record, the batch and its dossier hidden: `ingestion.privacy`)
or plain (any other kind: a citizen id found there is pseudonymised, except in a `Key`, where it
makes the record a reject). A field not declared is
pseudonymised and reported in `ops.unknown_fields` (`privacy_policy`).

Every top-level plain field of a record shape (`Record`) is present in every record the source
sends (possibly empty) unless declared `OPTIONAL`: a record without it is rejected, and a batch
where it is absent from more than RENAME_SHARE of its records fails by the field's name (the
source renamed it; a renamed field would otherwise be stored as an unknown one and the
indicators reading it would silently change). Personal and free-text fields may be absent (no
indicator reads them; one renamed is hidden as an undeclared field), and so may fields of
nested items.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import msgspec

from core.code_lists import codes
from ingestion.privacy import PersonalFields

#: The one-stop-shop's code lists: seeds in dbt_project/seeds/ that staging joins too.
DOSSIER_STATUSES = "onestop_dossier_statuses"
CHANNELS = "onestop_channels"
ONLINE_LEVELS = "onestop_online_levels"
AGENCY_LEVELS = "onestop_agency_levels"
TIME_LIMIT_UNITS = "onestop_time_limit_units"


class Kind(enum.Enum):
    TEXT = "text"
    KEY = "key"
    TIME = "time"
    NUMBER = "number"
    CODE = "code"
    INTEGER = "integer"


class Privacy(enum.Enum):
    PLAIN = "plain"
    PERSONAL = "personal"
    FREE_TEXT = "free_text"


def _kind(kind: Kind, code_list: str | None = None, privacy: Privacy = Privacy.PLAIN) -> msgspec.Meta:
    extra: dict[str, Any] = {"kind": kind, "privacy": privacy}
    if code_list:
        extra["code_list"] = code_list
    return msgspec.Meta(extra=extra)


Text = Annotated[str, _kind(Kind.TEXT)]
Key = Annotated[str, msgspec.Meta(min_length=1), _kind(Kind.KEY)]
LocalTime = Annotated[str, _kind(Kind.TIME)]
Number = Annotated[str, _kind(Kind.NUMBER)]
Integer = Annotated[str, _kind(Kind.INTEGER)]
Status = Annotated[str, _kind(Kind.CODE, DOSSIER_STATUSES)]
Channel = Annotated[str, _kind(Kind.CODE, CHANNELS)]
#: names, ids, phone numbers, e-mail and postal addresses of a person
Personal = Annotated[str, _kind(Kind.TEXT, privacy=Privacy.PERSONAL)]
#: text typed by a person (summaries, notes, file names)
FreeText = Annotated[str, _kind(Kind.TEXT, privacy=Privacy.FREE_TEXT)]
#: marks a top-level field a record may leave out (the source does not always send it)
OPTIONAL = msgspec.Meta(extra={"optional": True})

#: the pattern `onestop_number` accepts (after trimming), written the same way there
NUMBER_PATTERN = r"^[0-9]+([.,][0-9]+)?$"


class Record(msgspec.Struct, kw_only=True):
    """A top-level record shape: each of its fields is present in every record unless `OPTIONAL`."""


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

    Gia: Number = ""
    TenPhiLePhi: Text = ""
    MaPhiLePhi: Text = ""
    HinhThucThu: Text = ""
    LoaiPhiLePhi: Text = ""


class Identity(msgspec.Struct, kw_only=True):
    """An identity document of the applicant (DinhDanhCHS[])."""

    LoaiDinhDanh: Text = ""
    SoDinhDanh: Personal = ""


class LinkedDatabase(msgspec.Struct, kw_only=True):
    """A national database the dossier was checked against (DSKetNoiCSDL[])."""

    MaCSDL: Text = ""


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

    MaHoSo: Key
    version: Integer = msgspec.field(name="_version")
    updated_at: Annotated[str, msgspec.Meta(min_length=1), _kind(Kind.TIME)] = msgspec.field(
        name="_updated_at"
    )
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
    DanhSachHoSoBoSung: list[Supplement] = []
    DanhSachLePhi: list[DossierFee] = []
    DinhDanhCHS: list[Identity] = []
    DSKetNoiCSDL: list[LinkedDatabase] = []
    TaiLieuNop: list[Attachment] = []
    DanhSachGiayToKetQua: list[ResultDocument] = []


class Progress(Record, kw_only=True):
    """One processing step (CapNhatTienDoHoSoMC record)."""

    MaHoSo: Key
    ThoiDiemXuLy: Annotated[str, msgspec.Meta(min_length=1), _kind(Kind.TIME)]
    TrangThai: Status
    NgayBatDau: LocalTime = ""
    NgayKetThucTheoQuyDinh: LocalTime = ""
    NguoiXuLy: Personal = ""
    ChucDanh: Text = ""
    PhongBanXuLy: Text = ""
    NoiDungXuLy: FreeText = ""


class ProcedureFee(msgspec.Struct, kw_only=True):
    MUCPHI: Number = ""
    MAPHILEPHI: Text = ""
    TENPHILEPHI: Text = ""
    MOTA: Text = ""


class TimeOption(msgspec.Struct, kw_only=True):
    THOIGIANGIAIQUYET: Number = ""
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

    MADONVI: Key
    NGAYCAPNHAT: LocalTime = ""
    TENDONVI: Text = ""
    CAPDONVI: Text = ""
    MADONVICHA: Text = ""
    MADVHC: Text = ""


@dataclass(frozen=True)
class FieldSpec:
    """One declared field: its name in the native record and what it must hold."""

    name: str
    kind: Kind | None  # None for a nested list
    required: bool
    allowed: frozenset[str] | None = None  # codes of a Code field
    items: type[msgspec.Struct] | None = None  # struct of a nested list's items
    privacy: Privacy = Privacy.PLAIN
    present: bool = False  # every record carries it (possibly empty): top-level, not OPTIONAL


def _optional(hint: Any) -> bool:
    return any(getattr(meta, "extra", None) and meta.extra.get("optional") for meta in get_args(hint)[1:])


@cache
def spec(shape: type[msgspec.Struct]) -> tuple[FieldSpec, ...]:
    """The declared fields of `shape`, in declaration order."""
    hints = get_type_hints(shape, include_extras=True)
    record = issubclass(shape, Record)
    found = []
    for info in msgspec.structs.fields(shape):
        hint = hints[info.name]
        required = info.required
        present = record and not _optional(hint)
        listed = get_args(hint)[0] if get_origin(hint) is Annotated else hint
        if get_origin(listed) is list:
            found.append(
                FieldSpec(info.encode_name, None, required, items=get_args(listed)[0], present=present)
            )
            continue
        kind, allowed, privacy = None, None, Privacy.PLAIN
        for meta in get_args(hint)[1:]:
            extra = getattr(meta, "extra", None) or {}
            if "kind" in extra:
                kind = extra["kind"]
                privacy = extra.get("privacy", Privacy.PLAIN)
                if "code_list" in extra:
                    allowed = codes(extra["code_list"])
            if getattr(meta, "min_length", None):
                required = True
        if kind is None:
            raise TypeError(f"{shape.__name__}.{info.name} declares no kind")
        # personal and free-text fields feed no indicator: one renamed is hidden as an undeclared field
        present = present and privacy is Privacy.PLAIN
        found.append(FieldSpec(info.encode_name, kind, required, allowed, privacy=privacy, present=present))
    return tuple(found)


@cache
def privacy_policy(
    shape: type[msgspec.Struct],
    derive_from: str | None = None,
    derived_key: str = "_applicant",
    *,
    repeats: bool = False,
    case_key: str | None = None,
    case_people: bool = False,
) -> PersonalFields:
    """The allow-list of `shape`: its personal and free-text fields, every declared name, nested
    too, and its natural-key fields (`repeats`, `case_key`, `case_people`: see `PersonalFields`)."""
    fields = spec(shape)
    known = {f.name for f in fields}
    return PersonalFields(
        fields=tuple(f.name for f in fields if f.privacy is Privacy.PERSONAL),
        nested={f.name: privacy_policy(f.items) for f in fields if f.items is not None},
        free_text=tuple(f.name for f in fields if f.privacy is Privacy.FREE_TEXT),
        derive_from=derive_from,
        derived_key=derived_key,
        known=frozenset(known),
        repeats=repeats,
        keys=frozenset(f.name for f in fields if f.kind is Kind.KEY),
        case_key=case_key,
        case_people=case_people,
    )


def names(shape: type[msgspec.Struct], kind: Kind) -> tuple[str, ...]:
    """Native names of the fields of `shape` of one kind."""
    return tuple(f.name for f in spec(shape) if f.kind is kind)


def blank_record(shape: type[msgspec.Struct]) -> dict[str, Any]:
    """A record of `shape` carrying every field it must carry, each empty ("" or []): what a
    hand-written record (a test, a replay) starts from."""
    return {f.name: ([] if f.items is not None else "") for f in spec(shape) if f.present}
