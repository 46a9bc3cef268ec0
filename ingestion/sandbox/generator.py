"""Deterministic generation of a simulated province's one-stop-shop data (see README.md).

Every entity draws from its own `random.Random`, seeded with a string that names it (seed,
kind, key), so adding a day, an agency or a dossier does not reshuffle the others. Nothing
reads the wall clock: the same (seed, scale, start, end) gives the same records.
"""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core.admin_units import (
    REORGANISATION_DATE,
    AdminUnit,
    check_province,
    successors,
    unit_on,
    units_of_province,
)
from core.calendar import working_calendar
from core.code_lists import SEEDS_DIR
from core.settings import DEFAULT_PROVINCE_CODE
from ingestion.sandbox.draws import below, between, pick, poisson, weighted
from ingestion.sandbox.province import (
    Province,
    dossier_order,
    feedback_order,
    gc_paused,
    progress_order,
    rating_order,
)

#: the QCVN 102 letter code of the agency ids (000.NN.DD.H57); the admin-unit seed has none
PROVINCE_LETTER_CODE = "H57"
PORTAL_URL = "https://dichvucong.hue.gov.vn"

MONTHLY_RECEIVED = 4000  # dossiers accepted per month at scale 1.0
WORKING_DAYS_PER_YEAR = 250
NOT_RECEIVED_SHARE = 0.03  # refused at reception or never accepted
CITIZENS_PER_SCALE = 40_000
SUBMISSION_LEAD_DAYS = 5  # online/postal submissions reach the office at most this much earlier
#: online dossiers accepted on a day off, per working day's volume of the agency (DOMAIN.md §3.3:
#: counted from the next working day)
DAY_OFF_RECEPTION_RATE = 0.03
DAY_OFF_RECEPTION_HOURS = (time(8, 0), time(11, 30))
#: supplement requests recorded only as a move into status 5 (no supplement-list entry)
UNLISTED_SUPPLEMENT_SHARE = 0.1
PORTAL_SYNCED_SHARE = 0.96  # received dossiers the portal's sync status marks synced
RATED_SHARE = 0.3  # settled dossiers whose applicant rates them on the portal
RATINGS = (("RẤT HÀI LÒNG", 0.55), ("HÀI LÒNG", 0.95), ("KHÔNG HÀI LÒNG", 1.0))  # cumulative
FEEDBACK_SHARE = 0.04  # received dossiers that draw a feedback item (PAKN): a working day always has some
FEEDBACK_ABOUT_DOSSIER_SHARE = 0.7  # of those, a complaint about the dossier itself
#: `MaCSDL` of the national residents database (CSDL quốc gia về dân cư) in `DSKetNoiCSDL`: its entry
#: carries the request id (`MaYeuCau`) of the lookup made a few seconds after submission
RESIDENTS_DATABASE = "1"
LOOKUP_DELAY_SECONDS = (1, 20)

OFFICE_OPEN = time(7, 30)
OFFICE_CLOSE = time(17, 0)
DEADLINE_TIME = time(17, 0)


UNIT_WORKING_DAYS = "Ngày làm việc"
UNIT_DAYS = "Ngày"
UNIT_HOURS = "Giờ"

FIELDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "HT": ("G15-HT", "Hộ tịch"),
        "CT": ("G15-CT", "Chứng thực"),
        "LLTP": ("G15-LLTP", "Lý lịch tư pháp"),
        "CC": ("G15-CC", "Công chứng"),
        "DN": ("G05-DN", "Thành lập và hoạt động doanh nghiệp"),
        "HKD": ("G05-HKD", "Thành lập và hoạt động của hộ kinh doanh"),
        "NS": ("G05-NS", "Tài chính ngân sách"),
        "DT": ("G05-DT", "Đầu tư tại Việt Nam"),
        "DD": ("G11-DD", "Đất đai"),
        "MT": ("G11-MT", "Môi trường"),
        "NN": ("G11-NN", "Kinh tế hợp tác và phát triển nông thôn"),
        "XD": ("G18-XD", "Hoạt động xây dựng"),
        "GT": ("G18-GT", "Đường bộ"),
        "TCPCP": ("G17-TCPCP", "Tổ chức phi chính phủ"),
        "TDKT": ("G17-TDKT", "Thi đua, khen thưởng"),
        "LD": ("G17-LD", "Việc làm"),
        "BTXH": ("G17-BTXH", "Bảo trợ xã hội"),
        "NCC": ("G17-NCC", "Người có công"),
        "TG": ("G17-TG", "Tín ngưỡng, tôn giáo"),
        "TM": ("G04-TM", "Lưu thông hàng hóa trong nước"),
        "ATTP": ("G04-ATTP", "An toàn thực phẩm"),
        "GD": ("G07-GD", "Giáo dục và Đào tạo"),
        "VB": ("G07-VB", "Văn bằng, chứng chỉ"),
        "KCB": ("G20-KCB", "Khám bệnh, chữa bệnh"),
        "DUOC": ("G20-DUOC", "Dược phẩm"),
        "NTBD": ("G21-NTBD", "Nghệ thuật biểu diễn"),
        "TDTT": ("G21-TDTT", "Thể dục thể thao"),
        "VH": ("G21-VH", "Văn hóa"),
        "DL": ("G21-DL", "Du lịch"),
        "KHCN": ("G16-KHCN", "Hoạt động khoa học và công nghệ"),
        "BX": ("G16-BX", "An toàn bức xạ và hạt nhân"),
        "BC": ("G16-BC", "Bưu chính"),
        "KN": ("G22-KN", "Giải quyết khiếu nại"),
        "TCD": ("G22-TCD", "Tiếp công dân"),
    }
)

# The provincial agencies, 000.00.NN.<letter> in this order, of the province's unit (MADVHC):
# (TENDONVI, CAPDONVI, share of the dossier volume, procedures (name, field)); the People's
# Committee (None) is named after the province, and {kind} is the province's kind (tỉnh, thành phố).
PROVINCIAL_AGENCIES: tuple[tuple[str | None, str, float, tuple[tuple[str, str], ...]], ...] = (
    (None, "1", 0.02, (
        ("Tặng Bằng khen của Chủ tịch UBND cấp tỉnh", "TDKT"),
        ("Quyết định chủ trương đầu tư dự án", "DT"),
        ("Giao đất, cho thuê đất không thông qua đấu giá quyền sử dụng đất", "DD"),
    )),
    ("Sở Nội vụ", "2", 0.03, (
        ("Thẩm định thành lập hội", "TCPCP"),
        ("Cấp giấy phép lao động cho người nước ngoài làm việc tại Việt Nam", "LD"),
        ("Giải quyết hưởng trợ cấp thất nghiệp", "LD"),
        ("Tặng danh hiệu Tập thể lao động xuất sắc", "TDKT"),
    )),
    ("Sở Tài chính", "2", 0.07, (
        ("Đăng ký thành lập doanh nghiệp tư nhân", "DN"),
        ("Đăng ký thành lập công ty TNHH một thành viên", "DN"),
        ("Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "DN"),
        ("Thông báo tạm ngừng kinh doanh", "DN"),
        ("Cấp mã số đơn vị có quan hệ với ngân sách", "NS"),
    )),
    ("Sở Công Thương", "2", 0.025, (
        ("Cấp Giấy phép bán lẻ sản phẩm rượu", "TM"),
        ("Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", "TM"),
        ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "ATTP"),
    )),
    ("Sở Nông nghiệp và Môi trường", "2", 0.10, (
        ("Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "DD"),
        ("Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất", "DD"),
        ("Đính chính Giấy chứng nhận đã cấp", "DD"),
        ("Cấp giấy phép môi trường", "MT"),
    )),
    ("Sở Xây dựng", "2", 0.09, (
        ("Cấp giấy phép xây dựng công trình", "XD"),
        ("Cấp chứng chỉ hành nghề hoạt động xây dựng", "XD"),
        ("Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "GT"),
        ("Cấp lại giấy phép lái xe", "GT"),
    )),
    ("Sở Giáo dục và Đào tạo", "2", 0.025, (
        ("Chỉnh sửa nội dung văn bằng, chứng chỉ", "VB"),
        ("Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "VB"),
        ("Cho phép trung tâm ngoại ngữ, tin học hoạt động giáo dục", "GD"),
    )),
    ("Sở Y tế", "2", 0.025, (
        ("Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "KCB"),
        ("Cấp chứng chỉ hành nghề dược", "DUOC"),
        ("Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược", "DUOC"),
    )),
    ("Sở Văn hóa và Thể thao", "2", 0.01, (
        ("Cấp giấy phép tổ chức biểu diễn nghệ thuật", "NTBD"),
        ("Cấp Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao", "TDTT"),
        ("Cấp giấy phép đủ điều kiện kinh doanh dịch vụ karaoke", "VH"),
    )),
    ("Sở Du lịch", "2", 0.01, (
        ("Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "DL"),
        ("Cấp thẻ hướng dẫn viên du lịch", "DL"),
        ("Công nhận hạng cơ sở lưu trú du lịch", "DL"),
    )),
    ("Sở Khoa học và Công nghệ", "2", 0.01, (
        ("Cấp Giấy chứng nhận đăng ký hoạt động khoa học và công nghệ", "KHCN"),
        ("Cấp giấy phép tiến hành công việc bức xạ", "BX"),
        ("Cấp giấy phép bưu chính", "BC"),
    )),
    ("Sở Dân tộc và Tôn giáo", "2", 0.01, (
        ("Đăng ký hoạt động tín ngưỡng", "TG"),
        ("Đăng ký sinh hoạt tôn giáo tập trung", "TG"),
        ("Thông báo tổ chức lễ hội tín ngưỡng", "TG"),
    )),
    ("Sở Tư pháp", "2", 0.06, (
        ("Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "LLTP"),
        ("Cấp Phiếu lý lịch tư pháp cho người nước ngoài", "LLTP"),
        ("Đăng ký hoạt động Văn phòng công chứng", "CC"),
        ("Cấp Thẻ công chứng viên", "CC"),
    )),
    ("Thanh tra {kind}", "2", 0.005, (
        ("Giải quyết khiếu nại lần đầu", "KN"),
        ("Tiếp nhận, xử lý đơn kiến nghị, phản ánh", "TCD"),
    )),
    ("Ban Quản lý Khu kinh tế, công nghiệp", "2", 0.01, (
        ("Cấp Giấy chứng nhận đăng ký đầu tư", "DT"),
        ("Điều chỉnh Giấy chứng nhận đăng ký đầu tư", "DT"),
        ("Cấp giấy phép lao động cho người nước ngoài làm việc trong khu công nghiệp", "LD"),
    )),
)  # fmt: skip

# The People's Committees of the communes in force on REORGANISATION_DATE (seed order), 000.NN.DD.<letter>
# with NN from 20 and DD their district's number (from 31): (share, procedures), in turn.
COMMUNE_COMMITTEES: tuple[tuple[float, tuple[tuple[str, str], ...]], ...] = (
    (0.07, (
        ("Đăng ký khai sinh", "HT"),
        ("Chứng thực bản sao từ bản chính", "CT"),
        ("Đăng ký kết hôn", "HT"),
    )),
    (0.06, (
        ("Đăng ký khai tử", "HT"),
        ("Chứng thực chữ ký trong các giấy tờ, văn bản", "CT"),
        ("Cấp bản sao trích lục hộ tịch", "HT"),
    )),
    (0.06, (
        ("Cấp Giấy xác nhận tình trạng hôn nhân", "HT"),
        ("Đăng ký thành lập hộ kinh doanh", "HKD"),
        ("Chứng thực hợp đồng, giao dịch", "CT"),
    )),
    (0.05, (
        ("Đăng ký nhận cha, mẹ, con", "HT"),
        ("Thay đổi, cải chính, bổ sung thông tin hộ tịch", "HT"),
        ("Cấp giấy phép xây dựng nhà ở riêng lẻ", "XD"),
    )),
    (0.05, (
        ("Đăng ký giám hộ", "HT"),
        ("Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "HKD"),
        ("Hòa giải tranh chấp đất đai", "DD"),
    )),
    (0.05, (
        ("Trợ cấp xã hội hằng tháng đối với người cao tuổi", "BTXH"),
        ("Hỗ trợ chi phí mai táng", "BTXH"),
        ("Đăng ký lại khai sinh", "HT"),
    )),
    (0.045, (
        ("Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi", "HT"),
        ("Liên thông đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất", "HT"),
        ("Đăng ký lại kết hôn", "HT"),
    )),
    (0.04, (
        ("Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "DD"),
        ("Chuyển mục đích sử dụng đất", "DD"),
        ("Xác nhận hộ gia đình làm nông nghiệp có mức sống trung bình", "NN"),
    )),
    (0.04, (
        ("Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm", "BTXH"),
        ("Chấm dứt hoạt động hộ kinh doanh", "HKD"),
        ("Đăng ký khai sinh có yếu tố nước ngoài", "HT"),
    )),
    (0.035, (
        ("Đăng ký kết hôn có yếu tố nước ngoài", "HT"),
        ("Đăng ký khai tử có yếu tố nước ngoài", "HT"),
        ("Giải quyết chế độ ưu đãi đối với người có công", "NCC"),
    )),
)  # fmt: skip
FIRST_COMMUNE_NUMBER = 20
FIRST_DISTRICT_NUMBER = 31
MAX_AGENCY_NUMBER = 99

# Agencies of the units that closed on REORGANISATION_DATE (read from the admin_units seed): the
# People's Committee of each abolished district and of each commune merged into another. The
# commune hosting a merged commune's seat keeps its code and its agency (above), renamed.
DISTRICT_COMMITTEE_LEVEL = "4"
CLOSED_DISTRICT_SHARE = 0.015
CLOSED_COMMUNE_SHARE = 0.01
CLOSED_DISTRICT_PROCEDURES = (
    ("Đăng ký thành lập hộ kinh doanh", "HKD"),
    ("Cấp giấy phép xây dựng nhà ở riêng lẻ", "XD"),
    ("Đăng ký kết hôn có yếu tố nước ngoài", "HT"),
)
CLOSED_COMMUNE_PROCEDURES = (
    ("Đăng ký khai sinh", "HT"),
    ("Chứng thực bản sao từ bản chính", "CT"),
    ("Đăng ký khai tử", "HT"),
)
FIRST_CLOSED_COMMUNE_NUMBER = 40  # 000.NN.DD.H57 of the merged communes' committees

SURNAMES = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 2),
    ("Phan", 4.5), ("Vũ", 2), ("Võ", 2.5), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.5),
    ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5), ("Trương", 1), ("Đinh", 0.7), ("Tôn Nữ", 0.3),
)  # fmt: skip
MIDDLE_MALE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Hoàng", "Xuân", "Ngọc", "Duy", "Anh")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Kim", "Bảo", "Hồng", "Mỹ")
GIVEN_MALE = (
    "An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang",
    "Khoa", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài",
    "Thắng", "Thành", "Tiến", "Trung", "Tuấn", "Việt", "Vinh",
)  # fmt: skip
GIVEN_FEMALE = (
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền", "Lan", "Linh",
    "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Thủy",
    "Trang", "Trâm", "Uyên", "Vân", "Vy", "Xuân", "Yến",
)  # fmt: skip
# Birth-registration province codes of the citizen id (real codes), weighted: the province's own
# (0 + its admin code) first, then others.
HOME_BIRTH_WEIGHT = 60
OTHER_BIRTH_PROVINCES = (
    ("045", 6), ("044", 4), ("048", 5), ("049", 4), ("040", 3), ("042", 3),
    ("038", 2), ("051", 2), ("052", 1.5), ("056", 1.5), ("001", 3), ("079", 3), ("031", 1), ("092", 1),
)  # fmt: skip
STREETS = (
    "Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Phan Đình Phùng", "Bà Triệu",
    "Lý Thường Kiệt", "Hai Bà Trưng", "Nguyễn Trãi", "Điện Biên Phủ", "Đống Đa", "Võ Thị Sáu",
    "Chi Lăng", "Kim Long", "Nguyễn Sinh Cung", "Phạm Văn Đồng", "Tố Hữu",
)  # fmt: skip
SURNAME_VALUES = tuple(name for name, _ in SURNAMES)
SURNAME_CUMULATIVE = tuple(itertools.accumulate(weight for _, weight in SURNAMES))
MAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com")
SUPPLEMENT_REASONS = (
    "Bổ sung bản sao giấy tờ tùy thân có chứng thực",
    "Bổ sung tờ khai có đầy đủ chữ ký",
    "Bổ sung giấy tờ chứng minh nơi cư trú",
    "Bổ sung bản vẽ hiện trạng",
    "Điều chỉnh thông tin không thống nhất giữa các giấy tờ",
)
ATTACHMENTS = (
    "Tờ khai",
    "Bản sao giấy tờ tùy thân",
    "Giấy tờ chứng minh",
    "Đơn đề nghị",
    "Bản vẽ",
    "Giấy ủy quyền",
)


@dataclass(frozen=True)
class Citizen:
    name: str
    id_number: str
    phone: str
    email: str
    address: str
    tech_id: str


@dataclass
class Procedure:
    code: str
    name: str
    field_code: str
    field_name: str
    limit: int
    unit: str
    fee: int
    online_level: str
    full_process_eligible: bool
    postal: bool
    updated: datetime

    @property
    def online_capable(self) -> bool:
        return self.online_level != ""

    @property
    def fee_code(self) -> str:
        return f"LP{self.code[-4:]}"

    @property
    def fee_name(self) -> str:
        return f"Lệ phí {self.name[0].lower()}{self.name[1:]}"


@dataclass
class Agency:
    index: int
    code: str
    name: str
    level: str
    admin_code: str
    parent_code: str
    daily_rate: float
    online_target: float
    on_time_share: float
    digitised_share: float
    vneid_share: float
    procedures: list[Procedure] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    cumulative_weights: list[float] = field(default_factory=list)
    online_prob: float = 0.0
    desk: list[tuple[str, str, str]] = field(default_factory=list)
    specialists: list[tuple[str, str, str]] = field(default_factory=list)
    leaders: list[tuple[str, str, str]] = field(default_factory=list)
    #: the first day it no longer receives dossiers (its unit closed), None while in force
    active_until: date | None = None


@dataclass
class Event:
    """One change of a dossier: the fields it sets and, for a status change, its progress row."""

    at: datetime
    changes: dict[str, Any]
    status: str | None = None
    note: str = ""
    officer: tuple[str, str, str] | None = None


class WorkCalendar:
    """Working days (the project's one calendar, `core.calendar`: the holiday seed) and
    office-hours sampling over a date range."""

    def __init__(self, first: date, last: date) -> None:
        self._days = working_calendar().working_days(first, last)
        self._ordinals = [d.toordinal() for d in self._days]
        self._opens = [datetime.combine(d, OFFICE_OPEN) for d in self._days]
        self._closes = [datetime.combine(d, OFFICE_CLOSE) for d in self._days]

    def is_working(self, day: date) -> bool:
        i = bisect.bisect_left(self._ordinals, day.toordinal())
        return i < len(self._ordinals) and self._ordinals[i] == day.toordinal()

    def next_working(self, day: date) -> date:
        """`day` if it is a working day, else the next one (the day itself past the range)."""
        i = bisect.bisect_left(self._ordinals, day.toordinal())
        return self._days[i] if i < len(self._days) else day

    def working_days_between(self, first: date, last: date) -> int:
        """The working days in (first, last]."""
        return bisect.bisect_right(self._ordinals, last.toordinal()) - bisect.bisect_right(
            self._ordinals, first.toordinal()
        )

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (plain days past the end of the range)."""
        i = bisect.bisect_right(self._ordinals, day.toordinal()) + count - 1
        if i < len(self._days):
            return self._days[i]
        return day + timedelta(days=count * 7 // 5 + 1)

    def time_in(self, rng: random.Random, lo: datetime, hi: datetime) -> datetime | None:
        """A random office-hours moment in [lo, hi] (whole seconds), or None if there is none."""
        i = bisect.bisect_left(self._ordinals, lo.toordinal())
        j = bisect.bisect_right(self._ordinals, hi.toordinal())
        if i < j and lo > self._closes[i]:
            i += 1
        if i < j and hi < self._opens[j - 1]:
            j -= 1
        if i >= j:
            return None
        k = i + below(rng, j - i)
        start = _ceil_second(max(lo, self._opens[k]))
        end = min(hi, self._closes[k])
        if start > end:
            return None
        return start + timedelta(seconds=between(rng, 0, int((end - start).total_seconds())))

    def time_after(self, rng: random.Random, lo: datetime, days: int) -> datetime:
        """A random office-hours moment from `lo` to the end of the `days`-th day after it."""
        hi = datetime.combine(lo.date() + timedelta(days=days), OFFICE_CLOSE)
        for _ in range(60):
            found = self.time_in(rng, lo, hi)
            if found is not None:
                return found
            hi += timedelta(days=1)
        return _ceil_second(lo) + timedelta(minutes=between(rng, 1, 120))

    def deadline(self, received: datetime, limit: int, unit: str) -> datetime:
        """The promised return time (DOMAIN.md §3.3): a reception on a day off counts from the start
        of the next working day; a calendar-day deadline on a day off moves to the next working day."""
        start = self.next_working(received.date())
        counted_from = received if start == received.date() else datetime.combine(start, time())
        if unit == UNIT_HOURS:
            return counted_from + timedelta(hours=limit)
        if unit == UNIT_DAYS:
            return datetime.combine(self.next_working(start + timedelta(days=limit)), DEADLINE_TIME)
        return datetime.combine(self.add_working_days(start, limit), DEADLINE_TIME)

    def extended(self, deadline: datetime, requested: datetime, supplied: datetime, unit: str) -> datetime:
        """`deadline` moved by a supplement wait, in the procedure's unit: the working days waited
        added as working days, calendar days (then off a day off), or clock time."""
        if unit == UNIT_HOURS:
            return deadline + (supplied - requested)
        if unit == UNIT_DAYS:
            moved = deadline.date() + timedelta(days=(supplied.date() - requested.date()).days)
            return datetime.combine(self.next_working(moved), deadline.time())
        waited = self.working_days_between(requested.date(), supplied.date())
        if not waited:
            return deadline
        return datetime.combine(
            self.add_working_days(self.next_working(deadline.date()), waited), deadline.time()
        )


class _Context:
    """Everything one generation run shares: the seed, the calendar, the clock, citizens."""

    def __init__(self, seed: int, scale: float, start: date, end: date, geography: Geography) -> None:
        self.seed = seed
        self.geography = geography
        self.birth_provinces = geography.birth_provinces()
        self.scale = scale
        self.start = datetime.combine(start, time())
        self.clock_end = datetime.combine(end, time())
        self.calendar = WorkCalendar(start - timedelta(days=40), end + timedelta(days=400))
        self.citizen_pool = max(500, round(CITIZENS_PER_SCALE * scale))
        self._citizens: dict[int, Citizen] = {}

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed, *key)))

    def citizen(self, index: int) -> Citizen:
        found = self._citizens.get(index)
        if found is None:
            found = self._citizens[index] = _make_citizen(self.rng("citizen", index), self)
        return found


def generate_province(
    seed: int,
    scale: float,
    start: date,
    end: date,
    province_code: str = DEFAULT_PROVINCE_CODE,
    seeds_dir: Path = SEEDS_DIR,
) -> Province:
    """Province `province_code` of the admin-unit seed (its units, agencies and the 1 July 2025
    merges), whose activity runs from `start` to `end` (exclusive, the simulated clock)."""
    ctx = _context(seed, scale, start, end, province_code, seeds_dir)
    agencies = _make_agencies(ctx)
    versions: list[dict] = []
    progress: list[dict] = []
    feeds = _Feeds(versions, progress, [], [])
    with gc_paused():
        day = start
        # Days just past the clock still matter: online and postal submissions precede
        # reception by up to SUBMISSION_LEAD_DAYS, so they are pending (status 1) at the end.
        while day < end + timedelta(days=SUBMISSION_LEAD_DAYS):
            working = ctx.calendar.is_working(day)
            for agency in agencies:
                if agency.active_until is not None and day >= agency.active_until:
                    continue
                _agency_day(ctx, agency, day, feeds, day_off=not working)
            day += timedelta(days=1)
        versions.sort(key=dossier_order)
        progress.sort(key=progress_order)
        feeds.ratings.sort(key=rating_order)
        feeds.feedback.sort(key=feedback_order)
    procedures = [_procedure_record(a, p) for a in agencies for p in a.procedures]
    procedures.sort(key=lambda record: record["MATTHC"])
    return Province(
        agencies=sorted((_agency_record(ctx, a) for a in agencies), key=lambda r: r["MADONVI"]),
        procedures=procedures,
        dossiers=versions,
        progress=progress,
        clock_end=ctx.clock_end,
        ratings=feeds.ratings,
        feedback=feeds.feedback,
    )


@dataclass(frozen=True)
class Setting:
    """What every sandbox of one province shares with `generate_province` for the same arguments:
    the geography, the agencies (ids, names, levels, staff, the day a closed unit's agency stopped),
    the work calendar and the span. Other sources' sandboxes build on it, not on dossiers — except
    the residents database's, which mirrors the one-stop's lookups (`DSKetNoiCSDL[].MaYeuCau`) in
    its log and so generates the province's dossiers too."""

    geography: Geography
    agencies: list[Agency]
    calendar: WorkCalendar
    #: midnight of the first day of activity, and of `end` (the simulated clock, exclusive)
    start: datetime
    clock_end: datetime


def province_setting(
    seed: int,
    scale: float,
    start: date,
    end: date,
    province_code: str = DEFAULT_PROVINCE_CODE,
    seeds_dir: Path = SEEDS_DIR,
) -> Setting:
    """The agencies and calendar of `generate_province(seed, scale, start, end, province_code)`,
    without generating its dossiers (fast: tens of milliseconds)."""
    ctx = _context(seed, scale, start, end, province_code, seeds_dir)
    return Setting(ctx.geography, _make_agencies(ctx), ctx.calendar, ctx.start, ctx.clock_end)


def _context(
    seed: int, scale: float, start: date, end: date, province_code: str, seeds_dir: Path
) -> _Context:
    if not scale > 0:
        raise ValueError("scale must be > 0")
    if end <= start:
        raise ValueError("end must be after start")
    return _Context(seed, scale, start, end, Geography.of(province_code, seeds_dir))


# --- catalogues -------------------------------------------------------------------------


AgencyRow = tuple[str, str, str, str, str, float, tuple[tuple[str, str], ...], date | None]


@dataclass(frozen=True)
class Geography:
    """The generated province as the admin-unit seed gives it (through core.admin_units): its
    name on REORGANISATION_DATE, the communes in force then and the units that closed on it."""

    code: str
    name: str
    communes: tuple[AdminUnit, ...]
    #: districts and communes whose last version ended on REORGANISATION_DATE
    closing: tuple[AdminUnit, ...]
    #: (old code, the day it ended) → the code of the unit that took it over
    successors: Mapping[tuple[str, date], str]
    #: a commune's code → the code of the unit it was under the day before REORGANISATION_DATE
    former_parent: Mapping[str, str]

    @classmethod
    def of(cls, code: str, seeds_dir: Path = SEEDS_DIR) -> Geography:
        """Province `code` of the seed; UnknownProvince when the seed has no units under it."""
        check_province(code, seeds_dir)
        last_day = REORGANISATION_DATE - timedelta(days=1)
        communes = tuple(
            u for u in units_of_province(code, REORGANISATION_DATE, seeds_dir) if u.level == "commune"
        )
        before = {u.code: u.parent_code for u in units_of_province(code, last_day, seeds_dir)}
        return cls(
            code=code,
            name=unit_on(code, REORGANISATION_DATE, seeds_dir).name,
            communes=communes,
            closing=tuple(
                u for u in units_of_province(code, last_day, seeds_dir) if u.valid_to == REORGANISATION_DATE
            ),
            successors=MappingProxyType(successors(seeds_dir)),
            former_parent=MappingProxyType({u.code: before.get(u.code, u.parent_code) for u in communes}),
        )

    @property
    def kind(self) -> str:
        """The province's kind as its name starts (thành phố or tỉnh)."""
        return "thành phố" if self.name.startswith("thành phố") else "tỉnh"

    def district_numbers(self) -> dict[str, str]:
        """DD of the agency ids, by the code of the unit a commune was under before
        REORGANISATION_DATE: the communes' in their order, then those of the closing units."""
        numbers: dict[str, str] = {}
        parents = [self.former_parent[u.code] for u in self.communes]
        parents += [u.code if u.level == "district" else u.parent_code for u in self.closing]
        for parent in parents:
            numbers.setdefault(parent, f"{FIRST_DISTRICT_NUMBER + len(numbers):02d}")
        return numbers

    def agency_table(self, start: date) -> list[AgencyRow]:
        """(MADONVI, TENDONVI, CAPDONVI, MADVHC, MADONVICHA, share, procedures, active_until) of
        every agency: the provincial ones, the communes' People's Committees and, if the span
        reaches before REORGANISATION_DATE, those of the units that closed on it."""
        letter = PROVINCE_LETTER_CODE
        committee = f"000.00.00.{letter}"
        numbers = self.district_numbers()
        rows: list[AgencyRow] = []
        for index, (name, level, share, procedures) in enumerate(PROVINCIAL_AGENCIES):
            title = f"UBND {self.name}" if name is None else name.format(kind=self.kind)
            parent = "" if level == "1" else committee
            rows.append(
                (f"000.00.{index:02d}.{letter}", title, level, self.code, parent, share, procedures, None)
            )
        for index, unit in enumerate(self.communes):
            share, procedures = COMMUNE_COMMITTEES[index % len(COMMUNE_COMMITTEES)]
            agency_id = f"000.{_agency_number(FIRST_COMMUNE_NUMBER + index)}.{numbers[self.former_parent[unit.code]]}.{letter}"
            rows.append((agency_id, f"UBND {unit.name}", "3", unit.code, committee, share, procedures, None))
        if start < REORGANISATION_DATE:
            rows += self._closed_unit_agencies(numbers)
        return rows

    def _closed_unit_agencies(self, numbers: Mapping[str, str]) -> list[AgencyRow]:
        """The People's Committees of the province's units that closed on REORGANISATION_DATE. A
        district's agency number is that of the communes under it."""
        letter = PROVINCE_LETTER_CODE
        committee = f"000.00.00.{letter}"
        rows: list[AgencyRow] = []
        for unit in (u for u in self.closing if u.level == "district"):
            rows.append((f"000.00.{numbers[unit.code]}.{letter}", f"UBND {unit.name}", DISTRICT_COMMITTEE_LEVEL,
                         unit.code, committee, CLOSED_DISTRICT_SHARE, CLOSED_DISTRICT_PROCEDURES,
                         REORGANISATION_DATE))  # fmt: skip
        merged = [
            u
            for u in self.closing
            if u.level == "commune" and self.successors[(u.code, REORGANISATION_DATE)] != u.code
        ]
        first = max(FIRST_CLOSED_COMMUNE_NUMBER, FIRST_COMMUNE_NUMBER + len(self.communes))
        for number, unit in enumerate(merged, start=first):
            district = numbers[unit.parent_code]
            rows.append((f"000.{_agency_number(number)}.{district}.{letter}", f"UBND {unit.name}", "3", unit.code,
                         f"000.00.{district}.{letter}", CLOSED_COMMUNE_SHARE, CLOSED_COMMUNE_PROCEDURES,
                         REORGANISATION_DATE))  # fmt: skip
        return rows

    def birth_provinces(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """Citizen-id birth province codes and their cumulative weights: the province's own first."""
        weighted = [(f"0{self.code}", HOME_BIRTH_WEIGHT)]
        weighted += [(code, weight) for code, weight in OTHER_BIRTH_PROVINCES if code != weighted[0][0]]
        return tuple(code for code, _ in weighted), tuple(itertools.accumulate(w for _, w in weighted))


def _agency_number(number: int) -> str:
    """NN of an agency id (two digits): ValueError past 99, a province too large for the scheme."""
    if number > MAX_AGENCY_NUMBER:
        raise ValueError(
            f"the sandbox numbers at most {MAX_AGENCY_NUMBER - FIRST_COMMUNE_NUMBER + 1} commune agencies"
        )
    return f"{number:02d}"


def _make_agencies(ctx: _Context) -> list[Agency]:
    table = ctx.geography.agency_table(ctx.start.date())
    # the volume and the online-target spread are those of the agencies in force
    in_force = [row for row in table if row[7] is None]
    total_share = sum(row[5] for row in in_force)
    daily_received = MONTHLY_RECEIVED * 12 / WORKING_DAYS_PER_YEAR / (1 - NOT_RECEIVED_SHARE)
    agencies = []
    procedure_index = 0
    count = len(in_force)
    for index, (code, name, level, admin, parent_code, share, procedures, until) in enumerate(table):
        rng = ctx.rng("agency", code)
        agency = Agency(
            index=index,
            code=code,
            name=name,
            level=level,
            admin_code=admin,
            parent_code=parent_code,
            active_until=until,
            daily_rate=daily_received * share / total_share,
            online_target=0.15 + 0.70 * ((index * 11) % count) / (count - 1),
            on_time_share=0.8 + 0.2 * ((index * 7 + 3) % count) / (count - 1),
            digitised_share=0.4 + 0.55 * rng.random(),
            vneid_share=0.5 + 0.45 * rng.random(),
        )
        _staff(agency, rng)
        for proc_name, field_key in procedures:
            agency.procedures.append(_make_procedure(ctx, agency, procedure_index, proc_name, field_key))
            agency.weights.append(0.15 + rng.random() ** 2)
            procedure_index += 1
        if not any(p.online_capable for p in agency.procedures):
            agency.procedures[0].online_level = "MOTPHAN"
        agency.cumulative_weights = list(itertools.accumulate(agency.weights))
        capable = sum(w for p, w in zip(agency.procedures, agency.weights, strict=True) if p.online_capable)
        agency.online_prob = min(0.97, agency.online_target * sum(agency.weights) / capable)
        agencies.append(agency)
    return agencies


def _staff(agency: Agency, rng: random.Random) -> None:
    if agency.name.startswith("Sở"):
        leader, leader_unit, unit = "Phó Giám đốc", "Ban Giám đốc", "Phòng Nghiệp vụ"
    elif agency.name.startswith("Thanh tra"):
        leader, leader_unit, unit = "Phó Chánh Thanh tra", "Lãnh đạo Thanh tra", "Phòng Nghiệp vụ"
    elif agency.name.startswith("Ban"):
        leader, leader_unit, unit = "Phó Trưởng ban", "Lãnh đạo Ban", "Phòng Quản lý đầu tư"
    elif agency.level == "1":
        leader, leader_unit, unit = "Phó Chủ tịch", "Lãnh đạo UBND", "Văn phòng UBND"
    else:
        leader, leader_unit, unit = "Phó Chủ tịch", "Lãnh đạo UBND", "Phòng Văn hóa - Xã hội"
    agency.desk = [(person_name(rng), "Cán bộ một cửa", "Bộ phận Một cửa") for _ in range(3)]
    agency.specialists = [(person_name(rng), "Chuyên viên", unit) for _ in range(4)]
    agency.leaders = [(person_name(rng), leader, leader_unit) for _ in range(2)]


def _make_procedure(ctx: _Context, agency: Agency, index: int, name: str, field_key: str) -> Procedure:
    rng = ctx.rng("procedure", index)
    if index % 16 == 7:
        unit, limit = UNIT_HOURS, pick(rng, (4, 8, 24))
    elif index % 9 == 4:
        unit, limit = UNIT_DAYS, pick(rng, (15, 20, 30, 30, 45))
    else:
        unit, limit = UNIT_WORKING_DAYS, pick(rng, (1, 2, 3, 3, 5, 5, 5, 7, 7, 10, 10, 12, 15, 15, 20))
    fee = 0 if rng.random() < 0.45 else pick(rng, (20_000, 30_000, 50_000, 100_000, 200_000, 500_000))
    level_draw = rng.random()
    online_level = "TOANTRINH" if level_draw < 0.5 else "MOTPHAN" if level_draw < 0.85 else ""
    prefix = "1" if agency.level in ("1", "2") else "2"
    field_code, field_name = FIELDS[field_key]
    return Procedure(
        code=f"{prefix}.00{1000 + (17 + index * 113) % 9000:04d}",
        name=name,
        field_code=field_code,
        field_name=field_name,
        limit=limit,
        unit=unit,
        fee=fee,
        online_level=online_level,
        full_process_eligible=online_level == "TOANTRINH" or rng.random() < 0.2,
        postal=rng.random() < 0.6,
        updated=ctx.start - timedelta(days=between(rng, 10, 400), minutes=between(rng, 0, 600)),
    )


def _procedure_record(agency: Agency, procedure: Procedure) -> dict[str, Any]:
    fees = [{"MAPHILEPHI": "", "TENPHILEPHI": "Không thu phí", "MUCPHI": "0", "MOTA": "Miễn phí"}]
    if procedure.fee:
        fee = {
            "MAPHILEPHI": procedure.fee_code,
            "TENPHILEPHI": procedure.fee_name,
            "MUCPHI": str(procedure.fee),
        }
        fees = [{**fee, "MOTA": ""}]
    timing = {"THOIGIANGIAIQUYET": str(procedure.limit), "DONVITINH": procedure.unit, "PHILEPHI": fees}
    channels = ["1"] + (["2"] if procedure.online_capable else []) + (["3"] if procedure.postal else [])
    return {
        "MATTHC": procedure.code,
        "TENTTHC": procedure.name,
        "LINHVUCTHUCHIEN": [{"MALINHVUC": procedure.field_code, "TENLINHVUC": procedure.field_name}],
        "CAPTHUCHIEN": {"3": "Cấp Xã", DISTRICT_COMMITTEE_LEVEL: "Cấp Huyện"}.get(agency.level, "Cấp Tỉnh"),
        "COQUANTHUCHIEN": [{"MADONVI": agency.code, "TENDONVI": agency.name}],
        "CACHTHUCTHUCHIEN": [{"KENH": kenh, "THOIGIAN": [timing]} for kenh in channels],
        "MUCDODVC": procedure.online_level,
        "DUDIEUKIENTOANTRINH": "1" if procedure.full_process_eligible else "0",
        "TRANGTHAI": "1",
        "NGAYCAPNHAT": _stamp(procedure.updated),
    }


def _agency_record(ctx: _Context, agency: Agency) -> dict[str, str]:
    rng = ctx.rng("agency-record", agency.code)
    updated = ctx.start - timedelta(days=between(rng, 30, 500), minutes=between(rng, 0, 600))
    return {
        "MADONVI": agency.code,
        "TENDONVI": agency.name,
        "CAPDONVI": agency.level,
        "MADONVICHA": agency.parent_code,
        "MADVHC": agency.admin_code,
        "NGAYCAPNHAT": _stamp(updated),
    }


# --- people -----------------------------------------------------------------------------


def person_name(rng: random.Random, female: bool | None = None) -> str:
    """A synthetic Vietnamese full name (surname by its real frequency, middle and given name)."""
    if female is None:
        female = rng.random() < 0.5
    surname = weighted(rng, SURNAME_VALUES, SURNAME_CUMULATIVE)
    middle = pick(rng, MIDDLE_FEMALE if female else MIDDLE_MALE)
    given = pick(rng, GIVEN_FEMALE if female else GIVEN_MALE)
    return f"{surname} {middle} {given}"


def _make_citizen(rng: random.Random, ctx: _Context) -> Citizen:
    female = rng.random() < 0.5
    name = person_name(rng, female)
    birth_year = between(rng, 1945, 2006)
    century_sex = (0 if birth_year < 2000 else 2) + (1 if female else 0)
    province = weighted(rng, *ctx.birth_provinces)
    id_number = f"{province}{century_sex}{birth_year % 100:02d}{below(rng, 1_000_000):06d}"
    phone = f"0{pick(rng, '35789')}{below(rng, 100_000_000):08d}"
    email = ""
    if rng.random() < 0.55:
        parts = ascii_text(name).lower().split()
        email = f"{parts[-1]}{parts[0]}{birth_year % 100:02d}@{pick(rng, MAIL_DOMAINS)}"
    communes = ctx.geography.communes
    commune = communes[below(rng, len(communes))].name
    address = f"Số {between(rng, 1, 199)} {pick(rng, STREETS)}, {commune}, {ctx.geography.name}"
    tech_id = f"TID-{rng.getrandbits(40):010x}"
    return Citizen(name, id_number, phone, email, address, tech_id)


def ascii_text(text: str) -> str:
    """`text` without diacritics (đ → d): for synthetic e-mail addresses."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


# --- dossiers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Feeds:
    """The records a generation run appends to, one list per feed."""

    versions: list[dict]
    progress: list[dict]
    ratings: list[dict]
    feedback: list[dict]


def _agency_day(ctx: _Context, agency: Agency, day: date, feeds: _Feeds, day_off: bool) -> None:
    """The dossiers an agency receives on `day`: its daily volume on a working day, on a day off a
    few online dossiers accepted by a duty officer."""
    if day_off:
        rng = ctx.rng("day-off", agency.code, day.isoformat())
        count = poisson(rng, agency.daily_rate * ctx.scale * DAY_OFF_RECEPTION_RATE)
    else:
        rng = ctx.rng("day", agency.code, day.isoformat())
        count = poisson(rng, agency.daily_rate * ctx.scale)
    used_codes: set[str] = set()
    for seq in range(1, count + 1):
        events, base = _dossier_story(ctx, agency, day, seq, count, used_codes, day_off)
        last = _apply(ctx, base, events, feeds.versions, feeds.progress)
        _rating(ctx, base, last, feeds.ratings)
        _feedback(ctx, agency, base, last, feeds.feedback)


def _dossier_story(
    ctx: _Context,
    agency: Agency,
    day: date,
    seq: int,
    count: int,
    used_codes: set[str],
    day_off: bool = False,
) -> tuple[list[Event], dict[str, Any]]:
    """The base record of one dossier and the chronological list of its changes; `day_off`: an
    online dossier accepted on a day off."""
    rng = ctx.rng("day-off-dossier" if day_off else "dossier", agency.code, day.isoformat(), seq)
    cal = ctx.calendar
    proc = weighted(rng, agency.procedures, agency.cumulative_weights)
    if day_off and not proc.online_capable:
        proc = next(p for p in agency.procedures if p.online_capable)
    draw = rng.random()
    refused = draw < 0.02 and not day_off
    never_accepted = 0.02 <= draw < 0.03 and proc.online_capable and not day_off
    if refused or never_accepted:
        channel = "2" if proc.online_capable and (never_accepted or rng.random() < 0.7) else "3"
    elif day_off or (proc.online_capable and rng.random() < agency.online_prob):
        channel = "2"
    else:
        channel = "3" if rng.random() < 0.04 else "1"

    if day_off:
        opens, closes = (datetime.combine(day, moment) for moment in DAY_OFF_RECEPTION_HOURS)
        received = opens + timedelta(seconds=between(rng, 0, int((closes - opens).total_seconds())))
    else:
        received = cal.time_in(rng, datetime.combine(day, OFFICE_OPEN), datetime.combine(day, OFFICE_CLOSE))
    assert received is not None  # `day` is a working day
    submitted = received
    if channel == "2":
        submitted = received - timedelta(seconds=between(rng, 300, 3 * 86400))
    elif channel == "3":
        submitted = received - timedelta(days=between(rng, 1, 4), seconds=between(rng, 0, 20000))
    if submitted < ctx.start:
        submitted = ctx.start + timedelta(seconds=int((received - ctx.start).total_seconds() * rng.random()))

    citizen = ctx.citizen(below(rng, ctx.citizen_pool))
    base = _base_record(rng, agency, proc, channel, citizen, submitted)
    code = f"{agency.code}-{day:%y%m%d}-{seq:05d}"
    used_codes.add(code)
    recoded = rng.random() < 0.01
    new_code = ""
    if recoded:
        local_code = f"HS{day:%y}{day.timetuple().tm_yday:03d}{agency.index:02d}{seq:03d}"
        while not new_code or new_code in used_codes:
            number = between(rng, 10_000, 99_999)
            new_code = f"{agency.code}-{day:%y%m%d}-{number}" if number > count else ""
        used_codes.add(new_code)
        base["MaHoSo"] = local_code
    else:
        base["MaHoSo"] = code
    for entry in base["DSKetNoiCSDL"]:
        if entry["MaCSDL"] == RESIDENTS_DATABASE:  # its own random stream: nothing else moves
            delay = between(ctx.rng("lookup", base["MaHoSo"]), *LOOKUP_DELAY_SECONDS)
            entry["MaYeuCau"] = lookup_request_id(agency.code, submitted + timedelta(seconds=delay))

    events: list[Event] = []
    system = ("Hệ thống", "", "Cổng Dịch vụ công")
    if channel != "1":
        note = (
            "Công dân nộp hồ sơ trực tuyến" if channel == "2" else "Nhận hồ sơ qua dịch vụ bưu chính công ích"
        )
        events.append(Event(submitted, {"TrangThaiHoSo": "1"}, "1", note, system))
    if refused:
        at = cal.time_after(rng, submitted + timedelta(minutes=10), 2)
        changes = {"TrangThaiHoSo": "3", "NgayTuChoi": _stamp(at)}
        events.append(
            Event(at, changes, "3", "Từ chối tiếp nhận: hồ sơ không đủ điều kiện", pick(rng, agency.desk))
        )
    elif not never_accepted:
        _processing_story(ctx, rng, agency, proc, received, events)

    if recoded:
        _insert_recode(rng, events, {"MaHoSo": new_code, "MaHoSoKhac": base["MaHoSo"]})
    return events, base


def _processing_story(
    ctx: _Context,
    rng: random.Random,
    agency: Agency,
    proc: Procedure,
    received: datetime,
    events: list[Event],
) -> None:
    cal = ctx.calendar
    deadline = cal.deadline(received, proc.limit, proc.unit)
    shown = rng.random() >= 0.03  # ~3 % carry no NgayHenTra

    def due() -> str:
        return _stamp(deadline) if shown else ""

    changes = {"TrangThaiHoSo": "2", "NgayTiepNhan": _stamp(received), "NgayHenTra": due()}
    events.append(Event(received, changes, "2", "Tiếp nhận hồ sơ", pick(rng, agency.desk)))
    hours = proc.unit == UNIT_HOURS  # a same-day procedure: handed on within the hour, late by hours
    handed = (
        cal.time_in(rng, received + timedelta(minutes=5), received + timedelta(hours=1)) if hours else None
    )
    last = handed or cal.time_after(rng, received + timedelta(minutes=5), 1)
    note = "Chuyển hồ sơ đến phòng chuyên môn xử lý"
    events.append(Event(last, {"TrangThaiHoSo": "4"}, "4", note, pick(rng, agency.specialists)))

    draw = rng.random()
    supplements = 0 if hours else 2 if draw < 0.03 else 1 if draw < 0.18 else 0
    requests: list[dict[str, str]] = []
    for ordinal in range(supplements):
        listed = (
            ctx.rng("unlisted", agency.code, received.isoformat(), ordinal).random()
            >= UNLISTED_SUPPLEMENT_SHARE
        )
        requested = cal.time_in(rng, last + timedelta(minutes=30), deadline - timedelta(hours=1))
        if requested is None:
            requested = cal.time_after(rng, last + timedelta(minutes=30), 2)
        officer = pick(rng, agency.specialists)
        pending = {
            "HoSoBoSungId": str(between(rng, 10**6, 10**9 - 1)),
            "NguoiYeuCauBoSung": officer[0],
            "NoiDungBoSung": pick(rng, SUPPLEMENT_REASONS),
            "NgayBoSung": _stamp(requested),
            "NguoiTiepNhanBoSung": "",
            "NgayTiepNhanBoSung": "",
            "TrangThaiBoSung": "0",
            "NgayHenTraTruoc": due(),
            "NgayHenTraMoi": "",
        }
        # an unlisted request shows only as the move into status 5 (and out of it)
        changes = {"TrangThaiHoSo": "5", **({"DanhSachHoSoBoSung": [*requests, pending]} if listed else {})}
        events.append(Event(requested, changes, "5", f"Yêu cầu bổ sung: {pending['NoiDungBoSung']}", officer))
        supplied = cal.time_after(rng, requested + timedelta(days=1), between(rng, 0, 10))
        deadline = cal.extended(deadline, requested, supplied, proc.unit)
        desk = pick(rng, agency.desk)
        done = {
            **pending,
            "NguoiTiepNhanBoSung": desk[0],
            "NgayTiepNhanBoSung": _stamp(supplied),
            "TrangThaiBoSung": "1",
            "NgayHenTraMoi": due(),
        }
        if listed:
            requests = [*requests, done]
        changes = {"TrangThaiHoSo": "4", "NgayHenTra": due(), "DanhSachHoSoBoSung": requests}
        events.append(Event(supplied, changes, "4", "Tiếp nhận hồ sơ bổ sung, tiếp tục xử lý", desk))
        last = supplied

    draw = rng.random()
    if draw < 0.03:
        ended = cal.time_in(rng, last + timedelta(minutes=30), max(deadline, last + timedelta(days=2)))
        ended = ended or cal.time_after(rng, last + timedelta(minutes=30), 2)
        if draw < 0.02:
            status, note, officer = "7", "Công dân yêu cầu rút hồ sơ", pick(rng, agency.desk)
        else:
            status, note, officer = "8", "Dừng xử lý hồ sơ", pick(rng, agency.leaders)
        events.append(
            Event(ended, {"TrangThaiHoSo": status, "NgayKetThucXuLy": _stamp(ended)}, status, note, officer)
        )
        return

    finished = None
    if rng.random() < agency.on_time_share:
        finished = cal.time_in(rng, last + timedelta(minutes=30), deadline)
    if finished is None:
        late_by = between(rng, 0, 1) if hours else between(rng, 1, 10)  # days
        finished = cal.time_after(rng, max(deadline, last) + timedelta(minutes=1), late_by)
    result = _result_document(rng, proc, finished, agency.digitised_share)
    changes = {"TrangThaiHoSo": "9", "NgayKetThucXuLy": _stamp(finished), "DanhSachGiayToKetQua": [result]}
    events.append(
        Event(finished, changes, "9", "Hoàn thành xử lý, phê duyệt kết quả", pick(rng, agency.leaders))
    )
    if rng.random() < 0.01:
        reopened = cal.time_after(rng, finished + timedelta(hours=1), between(rng, 1, 5))
        changes = {"TrangThaiHoSo": "4", "NgayKetThucXuLy": "", "DanhSachGiayToKetQua": []}
        events.append(
            Event(reopened, changes, "4", "Mở lại hồ sơ để xử lý lại", pick(rng, agency.specialists))
        )
        finished = cal.time_after(rng, reopened + timedelta(hours=1), between(rng, 1, 5))
        changes = {
            "TrangThaiHoSo": "9",
            "NgayKetThucXuLy": _stamp(finished),
            "DanhSachGiayToKetQua": [result],
        }
        events.append(Event(finished, changes, "9", "Hoàn thành xử lý lại", pick(rng, agency.leaders)))
    returned = cal.time_after(rng, finished + timedelta(minutes=10), between(rng, 0, 10))
    changes = {"TrangThaiHoSo": "10", "NgayTra": _stamp(returned)}
    events.append(Event(returned, changes, "10", "Trả kết quả cho công dân", pick(rng, agency.desk)))


def request_prefix(member_code: str) -> str:
    """The `MaYeuCau` prefix of a calling system, from its member (agency) code: the letter code,
    then the two numbers (`000.20.31.H57` → `H572031`)."""
    parts = member_code.split(".")
    return f"{parts[-1]}{''.join(parts[1:-1])}" if len(parts) == 4 else member_code.replace(".", "")


def lookup_request_id(member_code: str, moment: datetime, subsystem: str = "DVC") -> str:
    """The request id (`MaYeuCau`) of a call to the residents database: `<prefix>_<subsystem>_`
    and the second of the call (`yyyyMMddHHmmss`), as the real client makes it [C: research d.2]:
    two calls of one system in the same second get the same id."""
    return f"{request_prefix(member_code)}_{subsystem}_{_stamp(moment)}"


def _insert_recode(rng: random.Random, events: list[Event], changes: dict[str, str]) -> None:
    """Re-send the dossier under a province-prefixed code after one of its changes."""
    if not events:
        return
    after = below(rng, len(events))
    at = events[after].at
    if after + 1 < len(events):
        gap = int((events[after + 1].at - at).total_seconds())
        if gap < 2:
            return
        moment = at + timedelta(seconds=between(rng, 1, min(gap - 1, 3600)))
    else:
        moment = at + timedelta(seconds=between(rng, 60, 86400))
    events.insert(after + 1, Event(moment, changes))


def _base_record(
    rng: random.Random, agency: Agency, proc: Procedure, channel: str, citizen: Citizen, submitted: datetime
) -> dict[str, Any]:
    online = channel == "2"
    stamp = _stamp(submitted)
    kind_draw = rng.random()
    kind = "1" if kind_draw < 0.85 else "2" if kind_draw < 0.97 else "4"
    digitised = rng.random() < agency.digitised_share
    payment = "0"
    if proc.fee and online:
        pay_draw = rng.random()
        payment = "1" if pay_draw < 0.55 else "3" if pay_draw < 0.7 else "0"
    linked = rng.random()
    databases = (
        [{"MaCSDL": "1"}] if linked < 0.6 else [{"MaCSDL": "1"}, {"MaCSDL": "7"}] if linked < 0.7 else []
    )
    fees = []
    if proc.fee:
        fees = [
            {
                "TenPhiLePhi": proc.fee_name,
                "MaPhiLePhi": proc.fee_code,
                "HinhThucThu": "2" if payment == "1" else "1",
                "Gia": str(proc.fee),
                "LoaiPhiLePhi": "2" if proc.fee <= 100_000 else "1",
            }
        ]
    files = []
    first = below(rng, len(ATTACHMENTS))
    titles = [ATTACHMENTS[(first + i) % len(ATTACHMENTS)] for i in range(between(rng, 1, 3))]
    folder = f"{PORTAL_URL}/files/{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    for position, title in enumerate(titles, start=1):
        file_id = between(rng, 10**6, 10**9 - 1)
        files.append(
            {
                "TepDinhKemId": str(file_id),
                "TenTepDinhKem": f"{title}.pdf",
                "IsDeleted": "0",
                "MaThanhPhanHoSo": f"TP{position}",
                "DuongDanTaiTepTin": f"{folder}/{file_id}.pdf",
                "DuocSoHoa": "1" if digitised and rng.random() < 0.9 else "0",
                "DuocTaiSuDung": pick(rng, "0012"),
                "DuocLayTuKhoDMQG": "1" if rng.random() < 0.2 else "0",
            }
        )
    delivery = "1" if channel == "3" or (online and rng.random() < 0.2) or rng.random() < 0.05 else "0"
    return {
        "MaHoSo": "",
        "MaHoSoKhac": "",
        "MaTTHC": proc.code,
        "TenTTHC": proc.name,
        "MaLinhVuc": proc.field_code,
        "TenLinhVuc": proc.field_name,
        "KenhThucHien": channel,
        "TrangThaiDongBoDVC": "0",
        "ChuHoSo": citizen.name,
        "SoGiayToChuHoSo": citizen.id_number,
        "LoaiDoiTuong": kind,
        "MaDoiTuong": citizen.tech_id if online else "",
        "SoDienThoai": citizen.phone,
        "Email": citizen.email,
        "DiaChiChuHoSo": citizen.address,
        "TrichYeuHoSo": f"Đề nghị {proc.name[0].lower()}{proc.name[1:]}",
        "NgayNopHoSo": stamp,
        "NgayTiepNhan": "",
        "NgayHenTra": "",
        "TrangThaiHoSo": "",
        "NgayKetThucXuLy": "",
        "NgayTra": "",
        "NgayTuChoi": "",
        "HinhThuc": delivery,
        "DonViXuLy": agency.name,
        "GhiChu": "Hồ sơ gửi qua dịch vụ bưu chính công ích" if channel == "3" else "",
        "NoiNopHoSo": "1" if online and rng.random() < 0.3 else "2",
        "HoSoCoThanhPhanSoHoa": "1" if digitised else "0",
        "TaiKhoanDuocXacThucVoiVNeID": "1" if online and rng.random() < agency.vneid_share else "0",
        "DuocThanhToanTrucTuyen": payment,
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": citizen.id_number}],
        "DSKetNoiCSDL": databases,
        "TaiLieuNop": files,
        "DanhSachLePhi": fees,
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
        "_version": "",
        "_updated_at": "",
    }


def _result_document(
    rng: random.Random, proc: Procedure, finished: datetime, digitised_share: float
) -> dict[str, str]:
    """The result document; its file link (an electronic result) for about the agency's digitised
    share plus 10 points, chosen from the document id so no extra draw shifts the rest of the story."""
    document_id = between(rng, 10**6, 10**9 - 1)
    electronic = document_id % 1000 < 1000 * min(0.98, digitised_share + 0.1)
    link = f"{PORTAL_URL}/ketqua/{finished.year}/{finished.month:02d}/{document_id}.pdf" if electronic else ""
    return {
        "TenGiayTo": f"Kết quả: {proc.name}",
        "MaThanhPhanHoSo": "KQ1",
        "GiayToId": str(document_id),
        "DuongDanTepTinKetQua": link,
        "MaGiayToKetQua": f"KQ-{proc.code}-{document_id}",
    }


def _apply(
    ctx: _Context, base: dict[str, Any], events: list[Event], versions: list[dict], progress: list[dict]
) -> dict[str, Any]:
    """Turn a story into dossier versions and progress rows, up to the simulated clock; the last
    version served (the base record when none is). A received dossier is marked synced to the
    portal (`TrangThaiDongBoDVC`) from its reception, unless it is among the few never synced."""
    state = base
    synced = ctx.rng("portal-sync", base["MaHoSo"]).random() < PORTAL_SYNCED_SHARE
    last_at: datetime | None = None
    last_status_at: datetime | None = None
    for version, event in enumerate(events, start=1):
        at = event.at if last_at is None or event.at > last_at else last_at + timedelta(seconds=1)
        if at >= ctx.clock_end:
            break
        state = {**state, **event.changes, "_version": str(version), "_updated_at": _stamp(at)}
        state["TrangThaiDongBoDVC"] = "1" if synced and state["NgayTiepNhan"] else "0"
        versions.append(state)
        if event.status is not None and event.officer is not None:
            officer, title, unit = event.officer
            progress.append(
                {
                    "MaHoSo": state["MaHoSo"],
                    "NguoiXuLy": officer,
                    "ChucDanh": title,
                    "ThoiDiemXuLy": state["_updated_at"],
                    "PhongBanXuLy": unit,
                    "NoiDungXuLy": event.note,
                    "TrangThai": event.status,
                    "NgayBatDau": _stamp(last_status_at or at),
                    "NgayKetThucTheoQuyDinh": state["NgayHenTra"],
                }
            )
            last_status_at = at
        last_at = at
    return state


def _rating(ctx: _Context, base: dict[str, Any], last: dict[str, Any], ratings: list[dict]) -> None:
    """A share of settled dossiers is rated by the applicant on the portal within a week of the
    result (a rating before the clock only)."""
    ended = last.get("NgayKetThucXuLy", "")
    if last.get("TrangThaiHoSo") not in ("9", "10") or not ended:
        return
    rng = ctx.rng("rating", base["MaHoSo"])
    if rng.random() >= RATED_SHARE:
        return
    at = datetime.strptime(ended, "%Y%m%d%H%M%S") + timedelta(seconds=between(rng, 3600, 7 * 86400))
    if at >= ctx.clock_end:
        return
    draw = rng.random()
    value = next(code for code, bound in RATINGS if draw < bound)
    note = "Cán bộ xử lý chậm, phải đi lại nhiều lần" if value == "KHÔNG HÀI LÒNG" else ""
    ratings.append(
        {
            "MaHoSo": last["MaHoSo"],
            "ThoiGianDanhGia": _stamp(at),
            "DanhGia": value,
            "LoaiDanhGia": "1",
            "NguoiDanhGia": base["ChuHoSo"],
            "NoiDungDanhGia": note,
        }
    )


def _feedback(
    ctx: _Context, agency: Agency, base: dict[str, Any], last: dict[str, Any], feedback: list[dict]
) -> None:
    """A few received dossiers draw a feedback item (PAKN) from their applicant, most about the
    dossier itself: received on a working day, then refused (≈ 10 %), or answered (a supplement
    requested first for ≈ 15 %), usually within the limits of 2, 5 and 15 working days; one
    version per change, up to the clock."""
    received_text = last.get("NgayTiepNhan", "")
    if not received_text:
        return
    rng = ctx.rng("feedback", base["MaHoSo"])
    if rng.random() >= FEEDBACK_SHARE:
        return
    cal = ctx.calendar
    about_dossier = rng.random() < FEEDBACK_ABOUT_DOSSIER_SHARE
    received = cal.time_after(rng, datetime.strptime(received_text, "%Y%m%d%H%M%S"), between(rng, 1, 15))
    record = {
        "MaPAKN": f"PAKN-{agency.code}-{received:%y%m%d}-{between(rng, 10_000, 99_999)}",
        "NgayCapNhat": _stamp(received),
        "TrangThai": "1",
        "MaHoSo": last["MaHoSo"] if about_dossier else "",
        "MaTTHC": base["MaTTHC"],
        "MaDonVi": agency.code,
        "TieuDe": "Phản ánh về việc giải quyết hồ sơ" if about_dossier else "Kiến nghị về thủ tục hành chính",
        "NoiDung": f"Tôi là {base['ChuHoSo']}, đề nghị cơ quan xem xét và trả lời.",
        "NguoiGui": base["ChuHoSo"],
        "SoGiayToNguoiGui": base["SoGiayToChuHoSo"],
        "SoDienThoai": base["SoDienThoai"],
        "Email": base["Email"],
        "NgayTiepNhan": _stamp(received),
        "NgayTuChoi": "",
        "NgayYeuCauBoSung": "",
        "NgayTraLoi": "",
    }
    steps = [dict(record)]

    def step(limit: int, late_share: float) -> datetime:
        days = limit + between(rng, 1, 5) if rng.random() < late_share else between(rng, 0, limit)
        moment = datetime.combine(cal.add_working_days(received.date(), days), time(9, 0))
        return moment + timedelta(seconds=between(rng, 0, 7 * 3600))

    draw = rng.random()
    if draw < 0.1:
        at = step(2, 0.1)
        record |= {"TrangThai": "2", "NgayTuChoi": _stamp(at), "NgayCapNhat": _stamp(at)}
        steps.append(dict(record))
    else:
        if draw < 0.25:
            at = step(5, 0.1)
            record |= {"TrangThai": "3", "NgayYeuCauBoSung": _stamp(at), "NgayCapNhat": _stamp(at)}
            steps.append(dict(record))
        at = max(
            step(15, 0.12), datetime.strptime(record["NgayCapNhat"], "%Y%m%d%H%M%S") + timedelta(hours=1)
        )
        record |= {"TrangThai": "4", "NgayTraLoi": _stamp(at), "NgayCapNhat": _stamp(at)}
        steps.append(dict(record))
    feedback.extend(version for version in steps if version["NgayCapNhat"] < _stamp(ctx.clock_end))


# --- helpers ----------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    """`yyyyMMddHHmmss` (the %-format is three times faster than strftime here)."""
    return "%04d%02d%02d%02d%02d%02d" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def _ceil_second(moment: datetime) -> datetime:
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment
