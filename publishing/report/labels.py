"""The report's words, in Vietnamese and English (both go into every file)."""

from __future__ import annotations


class BilingualName:
    """A row named in Vietnamese and English (`name_vi`, `name_en`): `name(lang)` picks one."""

    name_vi: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en


LABELS: dict[str, tuple[str, str]] = {
    "title": ("Báo cáo chỉ số chính quyền số", "Digital-government index report"),
    "subtitle": (
        "Chỉ số theo Quyết định 766/QĐ-TTg, Nghị quyết 17/NQ-CP và các văn bản liên quan",
        "Indicators of Decision 766/QĐ-TTg, Resolution 17/NQ-CP and related frameworks",
    ),
    "period": ("Kỳ báo cáo", "Period"),
    "publication": ("Bản công bố", "Publication"),
    "published_at": ("công bố lúc", "published at"),
    "generated_at": ("Báo cáo lập lúc", "Report generated at"),
    "switch": ("English", "Tiếng Việt"),
    "print": ("In / PDF", "Print / PDF"),
    "status_complete": ("Đủ tháng", "Complete month"),
    "status_provisional": ("Tạm tính — dữ liệu đến {day}", "Provisional — data up to {day}"),
    "status_provisional_short": ("tạm tính", "provisional"),
    "status_absent": ("Chưa có dữ liệu", "No data"),
    "kpi_met": ("Chỉ tiêu cấp tỉnh đạt", "Province targets met"),
    "kpi_measured": ("Chỉ số có số liệu", "Indicators with values"),
    "kpi_agencies": ("Cơ quan được đánh giá", "Agencies assessed"),
    "kpi_score": ("Điểm {framework} của tỉnh", "Province {framework} score"),
    "kpi_restated": ("Số liệu tháng được điều chỉnh", "Values of the month restated"),
    "of": ("trên", "of"),
    "s_summary": ("1. Tổng hợp cấp tỉnh so với chỉ tiêu", "1. Province summary against targets"),
    "s_trends": ("2. Diễn biến qua các tháng", "2. Trends over the months"),
    "s_scores": (
        "3. Điểm {framework} và xếp loại theo cơ quan",
        "3. {framework} points and rating per agency",
    ),
    "s_agencies": ("4. Chi tiết theo cấp chính quyền", "4. Details per level of government"),
    "s_late": ("5. Hồ sơ trễ hạn theo cơ quan", "5. Late dossiers per agency"),
    "s_current": ("6. Theo đơn vị hành chính hiện nay", "6. On today's units of government"),
    "s_coverage": ("7. Độ phủ dữ liệu", "7. Data coverage"),
    "s_restatements": ("8. Số liệu đã công bố được điều chỉnh", "8. Published values restated"),
    "s_not_computed": ("9. Chỉ số chưa được tính, theo lý do", "9. Indicators not computed, by reason"),
    "not_computed_note": (
        "Các chỉ số này có trong danh mục nhưng hệ thống chưa tính; mỗi chỉ số được xếp dưới lý do chưa tính.",
        "These catalogue indicators are not computed; each is listed under the reason why.",
    ),
    "entered": ("nhập tay", "entered"),
    "all_computed": ("Mọi chỉ số trong danh mục đều được tính.", "Every catalogue indicator is computed."),
    "levels_note": (
        "Các đơn vị như trong kỳ báo cáo. Phạm vi «toàn địa bàn»: mọi hồ sơ do đơn vị và các đơn vị trực thuộc"
        " giải quyết; phạm vi theo cấp: chỉ các cơ quan của cấp đó, áp dụng chỉ tiêu của cấp"
        " (Quyết định 942: tỉnh 90\u00a0%, huyện 80\u00a0%, xã 60\u00a0%).",
        "Units as they were in the period. Scope «whole area»: every dossier handled by the unit and the units"
        " under it; tier scope: only the agencies of that tier, against the tier's target"
        " (Decision 942: province 90\u00a0%, district 80\u00a0%, commune 60\u00a0%).",
    ),
    "level_province": ("Cấp tỉnh", "Province"),
    "level_agency": ("Cơ quan cấp tỉnh", "Provincial agencies"),
    "level_district": (
        "Cấp huyện (các kỳ trước 01/07/2025)",
        "Districts (periods before 1 Jul 2025)",
    ),
    "level_commune": ("Cấp xã", "Communes"),
    "level_commune_current": ("Xã, phường hiện nay", "Communes and wards today"),
    "scope": ("Phạm vi", "Scope"),
    "view_current": ("đơn vị hiện nay", "today's unit"),
    "rolled_up_from": ("cộng dồn từ", "rolled up from"),
    "province_unchanged": (
        "Tỉnh không thay đổi: số liệu cấp tỉnh như mục 4.",
        "The province did not change: its figures are those of section 4.",
    ),
    "scope_province_area": ("Toàn tỉnh", "Whole province"),
    "scope_province_tier": ("Cơ quan cấp tỉnh", "Provincial agencies"),
    "scope_district_area": ("Toàn huyện (cả các xã)", "Whole district (with its communes)"),
    "scope_district_tier": ("UBND cấp huyện", "District People's Committee"),
    "scope_commune_area": ("Toàn xã", "Whole commune"),
    "scope_commune_tier": ("UBND cấp xã", "Commune People's Committee"),
    "scope_province_same": ("Toàn tỉnh (chỉ cơ quan cấp tỉnh)", "Whole province (provincial agencies only)"),
    "scope_district_same": ("Toàn huyện (chỉ UBND cấp huyện)", "Whole district (its committee only)"),
    "scope_commune_same": ("Toàn xã (UBND cấp xã)", "Whole commune (its People's Committee)"),
    "current_same": (
        "Từ ngày {day} các đơn vị ở mục 4 đã là các đơn vị hành chính hiện nay: số liệu như mục 4."
        " Số liệu các kỳ trước ngày {day} được cộng dồn lên các đơn vị này theo bảng chuyển đổi đơn vị"
        " cũ → mới, mỗi hồ sơ chỉ tính một lần (xem báo cáo các tháng đó).",
        "From {day} the units of section 4 are today's units: the figures are those of section 4."
        " Periods before {day} are rolled up to these units through the old → new crosswalk, each"
        " dossier counted once (see those months' reports).",
    ),
    "current_note_before": (
        "Số liệu của kỳ này (trước ngày {day}) được cộng dồn lên các đơn vị hành chính hiện nay theo bảng"
        " chuyển đổi đơn vị cũ → mới: mỗi hồ sơ chỉ được tính một lần, cho đơn vị mới tiếp nhận đơn vị cũ."
        " Cấp huyện không còn từ ngày {day}.",
        "This period (before {day}) is rolled up to today's units through the old → new crosswalk: each"
        " dossier counts once, for the new unit that took over its old unit. Districts no longer exist"
        " from {day}.",
    ),
    "current_note_after": (
        "Các đơn vị hành chính hiện nay (sau sắp xếp ngày {day}); số liệu các kỳ trước ngày {day} được"
        " cộng dồn lên các đơn vị này theo bảng chuyển đổi đơn vị cũ → mới, mỗi hồ sơ chỉ tính một lần.",
        "Today's units (after the reorganisation of {day}); figures of periods before {day} are rolled up"
        " to them through the old → new crosswalk, each dossier counted once.",
    ),
    "framework": ("Bộ chỉ số", "Framework"),
    "indicator": ("Chỉ số", "Indicator"),
    "code": ("Mã", "Id"),
    "value": ("Kết quả", "Value"),
    "numerator": ("Tử số", "Numer\u00adator"),  # soft hyphen: narrow columns
    "denominator": ("Mẫu số", "Denom\u00adinator"),
    "target": ("Chỉ tiêu", "Target"),
    "result": ("Đánh giá", "Assessment"),
    "previous": ("Tháng trước", "Previous month"),
    "change": ("Thay đổi", "Change"),
    "met": ("Đạt", "Met"),
    "not_met": ("Không đạt", "Not met"),
    "no_target": ("Chưa có chỉ tiêu", "No target"),
    "not_assessed": ("Không đánh giá", "Not assessed"),
    "agencies_met": ("{met}/{of} cơ quan đạt", "{met} of {of} agencies met"),
    "no_value": ("Không có số liệu tháng này", "No value this month"),
    "points": ("Điểm", "Points"),
    "max_points": ("Điểm tối đa", "Max points"),
    "rank": ("Hạng", "Rank"),
    "agency": ("Cơ quan", "Agency"),
    "province": ("Toàn tỉnh", "Province"),
    "earned": ("Điểm đạt", "Points earned"),
    "measured": ("Điểm đo được", "Points measured"),
    "scaled": ("Quy về thang {scale}", "On the {scale} scale"),
    "band": ("Xếp loại", "Rating"),
    "bands_legend": ("Thang xếp loại", "Rating bands"),
    "band_from": ("từ {score} điểm", "from {score} points"),
    "not_rated": ("chưa đủ dữ liệu", "not enough data"),
    "points_unit": ("điểm", "points"),
    "measured_rule": (
        "Tổng điểm = điểm đạt / điểm tối đa của các chỉ số có số liệu; xếp loại theo điểm đạt ÷ điểm đo được × {scale}, chỉ khi đo được từ {min} điểm trở lên (dưới mức đó: chưa đủ dữ liệu).",
        "Total = points earned / the maximum points of the indicators with values; rated on earned ÷ measured × {scale}, only when at least {min} points are measured (below that: not enough data).",
    ),
    "assumed_band": (
        "Ngưỡng xếp loại đánh dấu * là giả định (chưa có trong văn bản), sửa trong danh mục thang xếp loại.",
        "Band boundaries marked * are assumed (not read in a source); edit dbt_project/seeds/rating_bands.csv.",
    ),
    "chart_target": ("Đường nét đứt: chỉ tiêu", "Dashed line: target"),
    "trend_note": (
        "Giá trị cấp tỉnh theo tháng; điểm rỗng là tháng tạm tính, khoảng trống là tháng chưa có dữ liệu.",
        "Province value per month; hollow points are provisional months, gaps are months without data.",
    ),
    "months": ("Tháng", "Month"),
    "status": ("Trạng thái", "Status"),
    "as_of": ("Dữ liệu đến", "Data up to"),
    "indicators_with_values": ("Số chỉ số có số liệu", "Indicators with values"),
    "not_measured": ("Chỉ số được tính nhưng chưa có số liệu", "Computed indicators without values yet"),
    "all_measured": ("Mọi chỉ số được tính đều có số liệu.", "Every computed indicator has values."),
    "coverage_note": (
        "Một tháng chỉ có số liệu khi mọi nguồn dữ liệu của chỉ số đã được thu thập đủ cho tháng đó; tháng tạm tính là tháng chưa kết thúc hoặc chưa thu thập hết.",
        "A month has values only when every source its indicators need covers it; a provisional month is one not yet over or not fully collected.",
    ),
    "restated_by": ("Bản công bố điều chỉnh", "Restating publication"),
    "previous_publication": ("Bản trước", "Previous publication"),
    "unit": ("Đơn vị", "Unit"),
    "old": ("Trước", "Before"),
    "new": ("Sau", "After"),
    "kind": ("Loại", "Change"),
    "changed": ("thay đổi", "changed"),
    "removed": ("bị rút", "removed"),
    "method_changed": ("do đổi cách tính", "method changed"),
    "recorded_at": ("Ghi nhận lúc", "Recorded at"),
    "no_restatements": (
        "Không có số liệu nào của tháng này bị điều chỉnh sau khi công bố.",
        "No value of this month was changed after it was published.",
    ),
    "assumed_target": (
        "* Chỉ tiêu giả định, chưa được xác nhận trong văn bản (sửa trong danh mục chỉ tiêu).",
        "* Assumed target, not confirmed in a source (edit dbt_project/seeds/indicator_targets.csv).",
    ),
    "na_note": (
        "Không áp dụng: mẫu số bằng 0 (không có hồ sơ), không phải 0 %.",
        "N/A: the denominator is 0 (nothing to measure), not 0 %.",
    ),
    "source_note": (
        "Nguồn số liệu: kho dữ liệu dùng chung, bản công bố số {id} (đã qua kiểm định chất lượng dữ liệu), công bố lúc {at}.",
        "Source: schema bi of publication {id} (passed the data-quality gate), published at {at}.",
    ),
    "higher_is_better": ("càng cao càng tốt", "higher is better"),
    "lower_is_better": ("càng thấp càng tốt", "lower is better"),
    "no_previous": ("chưa có tháng trước", "no previous month"),
    "agency_total": ("Tổng điểm {framework}", "{framework} total"),
    # variants for a quarter's and a year's page (render.py picks "<key>_<kind>" when it exists)
    "status_complete_quarter": ("Đủ quý", "Complete quarter"),
    "status_complete_year": ("Đủ năm", "Complete year"),
    "kpi_restated_quarter": ("Số liệu quý được điều chỉnh", "Values of the quarter restated"),
    "kpi_restated_year": ("Số liệu năm được điều chỉnh", "Values of the year restated"),
    "s_trends_quarter": ("2. Diễn biến qua các quý", "2. Trends over the quarters"),
    "s_trends_year": ("2. Diễn biến qua các năm", "2. Trends over the years"),
    "trend_note_quarter": (
        "Giá trị cấp tỉnh theo quý (mỗi hồ sơ tính một lần trong quý, không phải cộng các tháng); điểm rỗng"
        " là quý tạm tính, khoảng trống là quý chưa có dữ liệu.",
        "Province value per quarter (each dossier counted once in the quarter, not a sum of months); hollow"
        " points are provisional quarters, gaps are quarters without data.",
    ),
    "trend_note_year": (
        "Giá trị cấp tỉnh theo năm (mỗi hồ sơ tính một lần trong năm); điểm rỗng là năm tạm tính.",
        "Province value per year (each dossier counted once in the year); hollow points are provisional years.",
    ),
    "previous_quarter": ("Quý trước", "Previous quarter"),
    "previous_year": ("Năm trước", "Previous year"),
    "no_value_quarter": ("Không có số liệu quý này", "No value this quarter"),
    "no_value_year": ("Không có số liệu năm này", "No value this year"),
    "months_quarter": ("Quý", "Quarter"),
    "months_year": ("Năm", "Year"),
    "coverage_note_quarter": (
        "Một quý có số liệu khi mọi nguồn dữ liệu của chỉ số có dữ liệu trong quý; quý tạm tính là quý chưa"
        " kết thúc hoặc chưa thu thập đủ mọi ngày.",
        "A quarter has values when every source its indicators need covers part of it; a provisional quarter"
        " is one not yet over or not covered on every day.",
    ),
    "coverage_note_year": (
        "Một năm có số liệu khi mọi nguồn dữ liệu của chỉ số có dữ liệu trong năm; năm tạm tính là năm chưa"
        " kết thúc hoặc chưa thu thập đủ mọi ngày.",
        "A year has values when every source its indicators need covers part of it; a provisional year is"
        " one not yet over or not covered on every day.",
    ),
    "no_restatements_quarter": (
        "Không có số liệu nào của quý này bị điều chỉnh sau khi công bố.",
        "No value of this quarter was changed after it was published.",
    ),
    "no_restatements_year": (
        "Không có số liệu nào của năm này bị điều chỉnh sau khi công bố.",
        "No value of this year was changed after it was published.",
    ),
    "related": ("Cùng thời gian", "Same time"),
    "all_reports": ("Tất cả các kỳ báo cáo", "Every report"),
    "late_note": (
        "Các hồ sơ bị tính trễ hạn ở chỉ số 766-2.1 (cùng quy tắc, cùng kỳ: số hồ sơ trễ hạn của mỗi cơ quan"
        " bằng mẫu số trừ tử số của chỉ số); với mỗi cơ quan, {top} thủ tục có nhiều hồ sơ trễ hạn nhất."
        " Từng hồ sơ (mã hồ sơ, ngày hẹn trả, ngày kết thúc, số ngày quá hạn): Metabase, «Hồ sơ trễ hạn"
        " theo cơ quan».",
        "The dossiers judged late in 766-2.1 (same rule, same period: each agency's late dossiers are the"
        " indicator's denominator minus its numerator); per agency, the {top} procedures with the most."
        " Each dossier (code, promised date, end, days over): Metabase, «Hồ sơ trễ hạn theo cơ quan».",
    ),
    "late_total": ("{n} hồ sơ trễ hạn", "{n} late dossiers"),
    "procedure": ("Thủ tục", "Procedure"),
    "late_count": ("Hồ sơ trễ hạn", "Late dossiers"),
    "still_open": ("Trong đó chưa giải quyết xong", "Of which still open"),
    "max_over": ("Quá hạn nhiều nhất (ngày làm việc)", "Most working days over"),
    "no_late": ("Không có hồ sơ trễ hạn trong kỳ.", "No dossier was late in the period."),
}
