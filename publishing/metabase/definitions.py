"""What dtimon keeps in Metabase, as data: collections, questions and dashboards.

Everything here is declarative: `publishing.metabase.provision` compares it with what the
Metabase instance holds and creates or updates the difference. Questions are native SQL over
`bi` (files in `questions/`); their filters are template tags (`{{period}}`, `{{unit}}`,
`{{framework}}`, `{{indicator}}`) in optional `[[ … ]]` clauses, so every question also runs
unfiltered. The level, scope and view of `bi.ind_values` are required tags with a default
(province, area, historical) in clauses that always apply: a BI user picks one of each and never
sums the whole area with its tier, or the units as they were with today's units. The trend questions are generated from the indicator catalogue: a new catalogue
row gets its question and its place on the trend dashboard without new code.

Shapes follow Metabase's documented API (docs/api.json in metabase/metabase, the OpenAPI
document served at /api/docs; card and dashboard pages of docs/api/): a native
`dataset_query` is `{"type": "native", "database": id, "native": {"query": …,
"template-tags": {name: {"id", "name", "display-name", "type", "required", "default"}}}}`;
a dashboard filter is a parameter `{"id", "name", "slug", "type", "sectionId"}`, with
`"default"` (a list of values), `"required"` and a static list of choices
(`"values_source_type": "static-list"`, `"values_source_config": {"values": [[value, label], …]}`,
docs/embedding/sdk/api_markdown/internal/Parameter.md and ValuesSourceConfig.md); a dashcard
maps it to a card's tag with `{"parameter_id", "card_id", "target": ["variable",
["template-tag", name]]}`.
"""

from __future__ import annotations

import csv
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT
from publishing.report.frameworks import load_seed as load_frameworks

QUESTIONS_DIR = Path(__file__).parent / "questions"
SEEDS_DIR = PROJECT_ROOT / "dbt_project" / "seeds"
CATALOGUE_CSV = SEEDS_DIR / "indicator_catalogue.csv"
#: `/* seed <name>(<columns>, seed_row) */` in a question's SQL (e.g. the event types' labels): the seed's rows
#: as a VALUES list of text (an empty cell is null; `seed_row` is the row's 1-based place in the file).
SEED_ROWS = re.compile(r"/\*\s*seed\s+(\w+)\s*\(([\w\s,]+)\)\s*\*/")
_NAMESPACE = uuid.UUID("5f0c56a4-52a6-4e0b-9c39-0d7c3e3a9b61")


def stable_uuid(*parts: str) -> str:
    """A UUID that is the same on every run for the same parts (template tag and filter ids)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class Tag:
    """A native-query variable: `{{name}}` in the SQL."""

    name: str
    display_name: str
    type: str  # "text" or "date" (Metabase template-tag types)
    required: bool = False
    default: str | None = None
    pinned: bool = (
        False  # the question's own fixed value (a trend's indicator): no dashboard filter drives it
    )


@dataclass(frozen=True)
class Filter:
    """A dashboard filter, wired to the card tag of the same name."""

    slug: str
    name: str
    type: str  # Metabase parameter type: "date/single", "string/="
    section: str  # Metabase parameter sectionId: "date", "string"
    default: str | None = None  # set: the filter always has a value (Metabase "required")
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) offered as a static list

    def parameter(self, parameter_id: str) -> dict[str, Any]:
        """The dashboard parameter Metabase stores for this filter."""
        spec: dict[str, Any] = {
            "id": parameter_id,
            "name": self.name,
            "slug": self.slug,
            "type": self.type,
            "sectionId": self.section,
        }
        if self.default is not None:
            spec.update(default=[self.default], required=True)
        if self.choices:
            spec.update(
                values_query_type="list",
                values_source_type="static-list",
                values_source_config={"values": [list(choice) for choice in self.choices]},
            )
        return spec


#: The values of ind_values' level, scope and view, with the labels a BI user picks from.
LEVELS = (
    ("province", "Tỉnh"),
    ("district", "Huyện (các kỳ trước 01/07/2025)"),
    ("commune", "Xã, phường"),
)
SCOPES = (
    ("area", "Toàn địa bàn (đơn vị và các đơn vị trực thuộc)"),
    ("tier", "Theo cấp (chỉ cơ quan của cấp; chỉ tiêu của cấp)"),
)
VIEWS = (
    ("historical", "Đơn vị như tại kỳ báo cáo"),
    ("current", "Đơn vị hành chính hiện nay (cộng dồn theo bảng chuyển đổi)"),
)
PERIOD_KINDS = (("month", "Tháng"), ("quarter", "Quý"), ("year", "Năm"))
TAGS: dict[str, Tag] = {
    "period": Tag("period", "Kỳ (tháng)", "date"),
    "unit": Tag("unit", "Đơn vị (mã hoặc tên)", "text"),
    "framework": Tag("framework", "Khung chỉ tiêu", "text"),
    "indicator": Tag("indicator", "Mã chỉ số", "text"),
    "level": Tag("level", "Cấp", "text", required=True, default=LEVELS[0][0]),
    "scope": Tag("scope", "Phạm vi", "text", required=True, default=SCOPES[0][0]),
    "view": Tag("view", "Góc nhìn đơn vị", "text", required=True, default=VIEWS[0][0]),
    "period_kind": Tag("period_kind", "Loại kỳ", "text", required=True, default=PERIOD_KINDS[0][0]),
}
FILTERS: dict[str, Filter] = {
    "period": Filter("period", "Kỳ (tháng)", "date/single", "date"),
    "unit": Filter("unit", "Đơn vị", "string/=", "string"),
    "framework": Filter("framework", "Khung chỉ tiêu", "string/=", "string"),
    "indicator": Filter("indicator", "Chỉ số", "string/=", "string"),
    "level": Filter("level", "Cấp", "string/=", "string", LEVELS[0][0], LEVELS),
    "scope": Filter("scope", "Phạm vi", "string/=", "string", SCOPES[0][0], SCOPES),
    "view": Filter("view", "Góc nhìn đơn vị", "string/=", "string", VIEWS[0][0], VIEWS),
    "period_kind": Filter("period_kind", "Loại kỳ", "string/=", "string", PERIOD_KINDS[0][0], PERIOD_KINDS),
}


@dataclass(frozen=True)
class Collection:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class Question:
    key: str
    collection: str
    name: str
    description: str
    sql_file: str
    display: str  # Metabase display: "table", "bar", "line", "combo" (bars and lines), "scalar"
    tags: tuple[Tag, ...]
    visualization_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return render_seeds((QUESTIONS_DIR / self.sql_file).read_text())

    def template_tags(self) -> dict[str, dict[str, Any]]:
        tags: dict[str, dict[str, Any]] = {}
        for tag in self.tags:
            spec: dict[str, Any] = {
                "id": stable_uuid(self.key, tag.name),
                "name": tag.name,
                "display-name": tag.display_name,
                "type": tag.type,
                "required": tag.required,
            }
            if tag.default is not None:
                spec["default"] = tag.default
            tags[tag.name] = spec
        return tags


@dataclass(frozen=True)
class Dashcard:
    question: str  # Question.key
    row: int
    col: int
    size_x: int
    size_y: int


@dataclass(frozen=True)
class Dashboard:
    key: str
    collection: str
    name: str
    description: str
    filters: tuple[str, ...]  # FILTERS keys
    cards: tuple[Dashcard, ...]


def read_seed(name: str) -> list[dict[str, str]]:
    """A dbt seed's rows, as text."""
    with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _literal(text: str | None) -> str:
    return "null" if text is None or text == "" else "'" + text.replace("'", "''") + "'"


def render_seeds(sql: str, read: Any = None) -> str:
    """`sql` with each `/* seed name(columns) */` replaced by that seed's rows as a VALUES list.

    Some code lists a question labels by (the camera event types, the report urgency tiers) are seeds that
    publishing does not copy into `bi`; the BI login cannot read `reference`, so their labels travel
    in the card's SQL, read from the seed file whenever the definitions are built: a new seed row
    gets its label without new code.
    """
    read = read_seed if read is None else read

    def values(match: re.Match[str]) -> str:
        rows = read(match.group(1))
        columns = [c.strip() for c in match.group(2).split(",")]
        line = match.string[match.string.rfind("\n", 0, match.start()) + 1 : match.start()]
        indent = " " * (len(line) - len(line.lstrip()))
        tuples = [
            "(" + ", ".join(str(n) if c == "seed_row" else _literal(row[c]) for c in columns) + ")"
            for n, row in enumerate(rows, start=1)
        ]
        return f"values\n{indent}    " + f"\n{indent}    , ".join(tuples)

    return SEED_ROWS.sub(values, sql)


def _tags(*names: str) -> tuple[Tag, ...]:
    return tuple(TAGS[name] for name in names)


def read_catalogue(path: Path = CATALOGUE_CSV) -> list[dict[str, str]]:
    """The indicator catalogue seed, the one list of indicators."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Definitions:
    collections: tuple[Collection, ...]
    questions: tuple[Question, ...]
    dashboards: tuple[Dashboard, ...]

    def question(self, key: str) -> Question:
        return next(q for q in self.questions if q.key == key)


COLLECTIONS = (
    Collection(
        "department",
        "Sở Khoa học và Công nghệ",
        "Bảng điểm chuyển đổi số của tỉnh theo mục tiêu, xu hướng từng chỉ số "
        "(Department of Science and Technology: the province against its targets).",
    ),
    Collection(
        "operations_centre",
        "Trung tâm giám sát, điều hành đô thị thông minh",
        "Điểm Quyết định 766 và xếp loại theo cơ quan, hồ sơ tiếp nhận; camera, sự cố camera và phản ánh"
        " hiện trường (the operations centre: Decision 766 points and rating per agency; cameras, incidents,"
        " citizen field reports).",
    ),
    Collection(
        "data_quality",
        "Chất lượng dữ liệu",
        "Lịch sử công bố, kết quả cổng kiểm định, số liệu được điều chỉnh, kỳ tạm tính "
        "(data quality: publications, gate verdicts, restatements, coverage).",
    ),
)


def build(catalogue: list[dict[str, str]] | None = None) -> Definitions:
    """Every collection, question and dashboard, the trend questions from the catalogue."""
    catalogue = read_catalogue() if catalogue is None else catalogue
    framework_names = {f.framework: f.name_vi for f in load_frameworks()}
    questions = [
        Question(
            "province_scorecard",
            "department",
            "Bảng điểm tỉnh theo mục tiêu",
            "Mỗi chỉ số theo tháng của tỉnh (mặc định) hoặc từng huyện, xã: tử số, mẫu số, giá trị, mục tiêu,"
            " đạt hay không; mục tiêu giả định được ghi rõ. Phạm vi theo cấp mang chỉ tiêu của cấp"
            " (Quyết định 942); góc nhìn hiện nay cộng dồn các đơn vị cũ lên đơn vị hành chính hiện nay.",
            "province_scorecard.sql",
            "table",
            _tags("period", "level", "scope", "view", "framework", "indicator", "unit"),
        ),
        Question(
            "province_met_by_framework",
            "department",
            "Số chỉ số đạt mục tiêu theo khung",
            "Số chỉ số đạt và không đạt mục tiêu, theo khung chỉ tiêu, ở cấp, phạm vi và góc nhìn đã chọn"
            " (mặc định: tỉnh, toàn địa bàn, đơn vị như tại kỳ báo cáo).",
            "province_met_by_framework.sql",
            "bar",
            _tags("period", "level", "scope", "view", "framework", "indicator", "unit"),
            {
                "graph.dimensions": ["Khung"],
                "graph.metrics": ["Đạt", "Không đạt"],
                "stackable.stack_type": "stacked",
            },
        ),
        Question(
            "agency_points_rating",
            "operations_centre",
            "Điểm 766 và xếp loại theo cơ quan",
            "Điểm đạt / điểm đo được (điểm tối đa của các chỉ số có số liệu), theo khung, từ "
            "bi.ind_framework_totals; xếp loại theo bi.rating_bands chỉ khi điểm đo được đủ mức tối thiểu "
            "(ngưỡng trung gian là GIẢ ĐỊNH, xem cột confirmed), nếu không: chưa đủ dữ liệu.",
            "agency_points_rating.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "agency_indicator_points",
            "operations_centre",
            "Chỉ số 766 theo cơ quan",
            "Từng chỉ số có điểm (điểm tối đa trong danh mục) của từng cơ quan: tử số, mẫu số, giá trị,"
            " mục tiêu, điểm.",
            "agency_indicator_points.sql",
            "table",
            _tags("period", "unit", "indicator"),
        ),
        Question(
            "agency_dossiers",
            "operations_centre",
            "Hồ sơ tiếp nhận theo cơ quan",
            "Số hồ sơ tiếp nhận trong tháng và số nộp trực tuyến, theo cơ quan (tên hiện hành).",
            "agency_dossiers.sql",
            "bar",
            _tags("period", "unit"),
            {"graph.dimensions": ["Cơ quan"], "graph.metrics": ["Hồ sơ tiếp nhận", "Nộp trực tuyến"]},
        ),
        Question(
            "agency_late_dossiers",
            "operations_centre",
            "Hồ sơ trễ hạn theo cơ quan",
            "Từng hồ sơ bị tính trễ hạn ở chỉ số 766-2.1 (cùng quy tắc, nên số hồ sơ của mỗi cơ quan bằng"
            " mẫu số trừ tử số): thủ tục, ngày hẹn trả, hạn phải trả sau khi cộng thời gian chờ bổ sung,"
            " ngày kết thúc, số ngày làm việc quá hạn và lý do; theo tháng (mặc định), quý hoặc năm.",
            "agency_late_dossiers.sql",
            "table",
            _tags("period_kind", "period", "unit"),
        ),
        Question(
            "publication_history",
            "data_quality",
            "Lịch sử công bố và kiểm định",
            "Mọi bản dựng đã qua cổng kiểm định: trạng thái, số dòng, kết quả kiểm định, số giá trị bị điều chỉnh.",
            "publication_history.sql",
            "table",
            _tags("period"),
        ),
        Question(
            "restatements",
            "data_quality",
            "Số liệu đã công bố bị điều chỉnh",
            "Giá trị đã công bố mà lần công bố sau thay đổi hoặc loại bỏ.",
            "restatements.sql",
            "table",
            _tags("period", "indicator", "unit"),
        ),
        Question(
            "period_coverage",
            "data_quality",
            "Kỳ có số liệu và kỳ tạm tính",
            "Các tháng mỗi chỉ số có số liệu công bố và số tháng còn tạm tính.",
            "period_coverage.sql",
            "table",
            _tags("period", "framework", "indicator"),
        ),
        Question(
            "source_quality",
            "data_quality",
            "Chất lượng dữ liệu theo nguồn và tháng",
            "Bản ghi nhận được, đã nạp và bị loại; hồ sơ có cơ quan hoặc thủ tục không có trong danh mục;"
            " số ngày có số liệu và lý do kỳ tạm tính (data quality per source, entity and month).",
            "source_quality.sql",
            "table",
            _tags("period"),
        ),
        Question(
            "document_flow",
            "department",
            "Văn bản gửi qua trục liên thông theo cơ quan",
            "Văn bản các cơ quan của tỉnh gửi trong tháng: bao nhiêu là văn bản điện tử, bao nhiêu có chữ ký số"
            " hợp lệ về cấu trúc, bao nhiêu bị thu hồi, cập nhật hoặc thay thế sau đó.",
            "document_flow.sql",
            "bar",
            _tags("period", "unit"),
            {
                "graph.dimensions": ["Cơ quan gửi"],
                "graph.metrics": ["Văn bản gửi", "Điện tử", "Điện tử, ký số"],
            },
        ),
        Question(
            "document_handling",
            "department",
            "Xử lý văn bản đến theo cơ quan",
            "Văn bản đến từng cơ quan của tỉnh trong tháng: đã đến, từ chối tiếp nhận, đã xử lý xong, số ngày làm"
            " việc xử lý (trung vị, từ khi đến đến khi xong) và số văn bản xong sau hạn.",
            "document_handling.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "camera_availability",
            "operations_centre",
            "Camera hoạt động theo cơ quan và xã, phường",
            "Thời gian camera hoạt động trên thời gian vận hành (từ ngày lắp đặt) trong tháng, theo cơ quan quản lý"
            " camera và xã, phường đặt camera (cách tính của chỉ số thời gian camera hoạt động), thấp nhất trước;"
            " số camera có gián đoạn.",
            "camera_availability.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "camera_availability_daily",
            "operations_centre",
            "Tỷ lệ camera hoạt động theo ngày",
            "Tỷ lệ thời gian camera hoạt động từng ngày (mọi camera, hoặc của cơ quan, xã, phường đã chọn) và số"
            " camera có gián đoạn trong ngày.",
            "camera_availability_daily.sql",
            "line",
            _tags("period", "unit"),
            {"graph.dimensions": ["Ngày"], "graph.metrics": ["Tỷ lệ hoạt động (%)"]},
        ),
        Question(
            "camera_incidents_daily",
            "operations_centre",
            "Sự cố camera theo loại và ngày",
            "Số sự cố camera phát hiện (không tính báo động nhầm) mỗi ngày, theo loại sự cố.",
            "camera_incidents_daily.sql",
            "bar",
            _tags("period", "unit"),
            {
                "graph.dimensions": ["Ngày", "Loại sự cố"],
                "graph.metrics": ["Sự cố"],
                "stackable.stack_type": "stacked",
            },
        ),
        Question(
            "camera_incidents_by_type",
            "operations_centre",
            "Sự cố camera theo loại",
            "Theo loại sự cố trong tháng: số sự cố, số camera có sự cố, báo động nhầm (Frigate), sự cố tự đóng vì"
            " quá thời gian chờ không có tín hiệu kết thúc, sự cố chưa kết thúc.",
            "camera_incidents_by_type.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "field_reports_by_urgency",
            "operations_centre",
            "Phản ánh hiện trường theo mức độ khẩn",
            "Phản ánh hiện trường tạo trong tháng theo mức độ khẩn: hạn trả lời và hạn xử lý của mức (chỉ hạn trả"
            " lời 2 giờ của mức khẩn cấp là quy định đã xác nhận, còn lại là GIẢ ĐỊNH), số trả lời đúng hạn, trễ"
            " hạn hoặc quá hạn chưa trả lời, số xử lý xong đúng hạn (chỉ xét phản ánh có ngày xử lý).",
            "field_reports_by_urgency.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "field_reports_by_agency",
            "operations_centre",
            "Phản ánh hiện trường theo cơ quan và xã, phường",
            "Phản ánh hiện trường tạo trong tháng theo cơ quan xử lý và xã, phường nơi xảy ra: trả lời đúng hạn,"
            " trễ hạn; xử lý xong đúng hạn, trễ hạn (cách tính của hai chỉ số phản ánh hiện trường), tỷ lệ thấp nhất trước.",
            "field_reports_by_agency.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "field_reports_late",
            "operations_centre",
            "Phản ánh hiện trường trễ hạn",
            "Từng phản ánh tạo trong tháng đã trả lời sau hạn, quá hạn mà chưa trả lời, hoặc xử lý xong sau hạn:"
            " cơ quan, xã, phường, mức độ khẩn, các hạn và thời điểm (giờ Việt Nam).",
            "field_reports_late.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "lookups_by_agency",
            "department",
            "Khai thác CSDL quốc gia về dân cư theo cơ quan và dịch vụ",
            "Lượt gọi của các hệ thống của tỉnh tới Cơ sở dữ liệu quốc gia về dân cư trong tháng (nhật ký giám sát"
            " của nền tảng tích hợp, chia sẻ dữ liệu), theo cơ quan gọi (tên hiện hành; mã thành viên không có trong"
            " danh mục cơ quan được ghi rõ) và dịch vụ: lượt gọi, thành công, thất bại, tỷ lệ thành công, thời gian"
            " phản hồi trung vị và phân vị 95 (giây) tính từ từng lượt gọi (chỉ số DA06-01 đến DA06-04); tỷ lệ"
            " thành công thấp nhất trước. Một mã yêu cầu gửi lại được tính là hai lượt gọi.",
            "lookups_by_agency.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "lookups_daily",
            "department",
            "Lượt gọi CSDL quốc gia về dân cư theo ngày",
            "Lượt gọi tới Cơ sở dữ liệu quốc gia về dân cư từng ngày (giờ Việt Nam) của tháng, của mọi cơ quan hoặc"
            " cơ quan đã chọn: lượt gọi, thất bại và tỷ lệ thành công.",
            "lookups_daily.sql",
            "combo",
            _tags("period", "unit"),
            {
                "graph.dimensions": ["Ngày"],
                "graph.metrics": ["Lượt gọi", "Tỷ lệ thành công (%)"],
                "series_settings": {
                    "Lượt gọi": {"display": "bar"},
                    "Tỷ lệ thành công (%)": {"display": "line"},
                },
            },
        ),
        Question(
            "lookup_failures",
            "department",
            "Lỗi khi gọi CSDL quốc gia về dân cư theo mã lỗi",
            "Lượt gọi thất bại trong tháng theo mã lỗi của nền tảng tích hợp (không có mã lỗi: mã trạng thái HTTP):"
            " số lượt, số cơ quan bị ảnh hưởng và tên các cơ quan, lần gần nhất (giờ Việt Nam); nhiều nhất trước.",
            "lookup_failures.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "eid_by_commune",
            "department",
            "Tài khoản định danh điện tử theo xã, phường",
            "Dân số và số tài khoản định danh điện tử (VNeID) mức 1, mức 2 của từng xã, phường trong tháng, theo"
            " lần công bố sau cùng; tên xã, phường như tại tháng đó; tỷ lệ tài khoản mức 2 trên dân số (chỉ số"
            " NQ17-06 theo xã) và số liệu có bị điều chỉnh hay không; tỷ lệ thấp nhất trước. Đơn vị: mã hoặc tên"
            " xã, phường.",
            "eid_by_commune.sql",
            "table",
            _tags("period", "unit"),
        ),
        Question(
            "eid_province",
            "department",
            "Tài khoản định danh điện tử toàn tỉnh theo tháng",
            "Tổng dân số và tài khoản định danh điện tử mức 1, mức 2 của các xã, phường có số liệu trong tháng, tỷ"
            " lệ mức 2 trên dân số của tỉnh (chỉ số NQ17-06; chỉ tính các xã, phường có số tài khoản mức 2) và số"
            " xã, phường có số liệu điều chỉnh; tháng mới nhất trước.",
            "eid_province.sql",
            "table",
            _tags("period"),
        ),
    ]
    trend_cards: list[Dashcard] = []
    for n, row in enumerate(catalogue):
        indicator = row["indicator_id"]
        key = f"trend__{indicator}"
        indicator_tag = Tag("indicator", "Mã chỉ số", "text", required=True, default=indicator, pinned=True)
        questions.append(
            Question(
                key,
                "department",
                f"{indicator} — {row['name_vi']}",
                f"{row['name_vi']} ({row['name_en']}): giá trị cấp tỉnh theo tháng và mục tiêu. "
                f"Khung: {framework_names.get(row['framework'], row['framework'])}.",
                "indicator_trend.sql",
                "line",
                (indicator_tag, *_tags("period", "framework", "scope", "view")),
                {"graph.dimensions": ["Kỳ"], "graph.metrics": ["Giá trị", "Mục tiêu"]},
            )
        )
        trend_cards.append(Dashcard(key, row=(n // 2) * 6, col=(n % 2) * 12, size_x=12, size_y=6))
    dashboards = (
        Dashboard(
            "province_scorecard",
            "department",
            "Bảng điểm chuyển đổi số của tỉnh",
            "Tỉnh, huyện, xã so với mục tiêu từng chỉ số, theo tháng; chọn cấp, phạm vi và góc nhìn đơn vị"
            " (province, district and commune scorecard against targets).",
            ("period", "level", "scope", "view", "framework", "indicator", "unit"),
            (
                Dashcard("province_met_by_framework", 0, 0, 24, 5),
                Dashcard("province_scorecard", 5, 0, 24, 10),
            ),
        ),
        Dashboard(
            "indicator_trends",
            "department",
            "Xu hướng từng chỉ số",
            "Một biểu đồ cho mỗi chỉ số của danh mục: giá trị cấp tỉnh theo tháng và mục tiêu.",
            ("period", "framework", "scope", "view"),
            tuple(trend_cards),
        ),
        Dashboard(
            "agency_766",
            "operations_centre",
            "Điểm 766 và xếp loại theo cơ quan",
            "Điểm Quyết định 766 và xếp loại của từng cơ quan, từng chỉ số, hồ sơ tiếp nhận và hồ sơ trễ hạn.",
            ("period", "period_kind", "unit", "indicator"),
            (
                Dashcard("agency_points_rating", 0, 0, 24, 8),
                Dashcard("agency_indicator_points", 8, 0, 24, 10),
                Dashcard("agency_dossiers", 18, 0, 24, 8),
                Dashcard("agency_late_dossiers", 26, 0, 24, 10),
            ),
        ),
        Dashboard(
            "document_flow",
            "department",
            "Văn bản điện tử qua trục liên thông",
            "Văn bản các cơ quan của tỉnh gửi và nhận qua trục liên thông văn bản quốc gia, theo tháng"
            " (document flow of the province's agencies over the national document axis).",
            ("period", "unit"),
            (
                Dashcard("document_flow", 0, 0, 24, 8),
                Dashcard("document_handling", 8, 0, 24, 8),
            ),
        ),
        Dashboard(
            "operations_centre",
            "operations_centre",
            "Camera, sự cố và phản ánh hiện trường",
            "Trung tâm điều hành thông minh: camera hoạt động theo cơ quan, xã, phường và theo ngày, sự cố camera"
            " theo loại, phản ánh hiện trường theo mức độ khẩn và việc trả lời, xử lý đúng hạn; lọc theo tháng và"
            " đơn vị (cơ quan hoặc xã, phường: mã hoặc tên).",
            ("period", "unit"),
            (
                Dashcard("camera_availability_daily", 0, 0, 12, 6),
                Dashcard("camera_incidents_daily", 0, 12, 12, 6),
                Dashcard("camera_availability", 6, 0, 12, 8),
                Dashcard("camera_incidents_by_type", 6, 12, 12, 8),
                Dashcard("field_reports_by_urgency", 14, 0, 24, 6),
                Dashcard("field_reports_by_agency", 20, 0, 24, 8),
                Dashcard("field_reports_late", 28, 0, 24, 10),
            ),
        ),
        Dashboard(
            "project_06",
            "department",
            "Đề án 06: khai thác dữ liệu dân cư và định danh điện tử",
            "Quyết định 06/QĐ-TTg: lượt gọi của các hệ thống của tỉnh tới Cơ sở dữ liệu quốc gia về dân cư theo"
            " ngày, theo mã lỗi, theo cơ quan và dịch vụ (tỷ lệ thành công, thời gian phản hồi); tài khoản định danh"
            " điện tử mức 2 trên dân số của tỉnh và từng xã, phường; lọc theo tháng và đơn vị (cơ quan gọi, hoặc"
            " xã, phường: mã hoặc tên).",
            ("period", "unit"),
            (
                Dashcard("lookups_daily", 0, 0, 12, 6),
                Dashcard("lookup_failures", 0, 12, 12, 6),
                Dashcard("lookups_by_agency", 6, 0, 24, 8),
                Dashcard("eid_province", 14, 0, 24, 4),
                Dashcard("eid_by_commune", 18, 0, 24, 8),
            ),
        ),
        Dashboard(
            "data_quality",
            "data_quality",
            "Lịch sử công bố và chất lượng dữ liệu",
            "Các lần công bố và kết quả kiểm định, số liệu bị điều chỉnh, kỳ có số liệu và kỳ tạm tính.",
            ("period", "framework", "indicator", "unit"),
            (
                Dashcard("publication_history", 0, 0, 24, 8),
                Dashcard("period_coverage", 8, 0, 24, 8),
                Dashcard("restatements", 16, 0, 24, 8),
                Dashcard("source_quality", 24, 0, 24, 8),
            ),
        ),
    )
    return Definitions(COLLECTIONS, tuple(questions), dashboards)
