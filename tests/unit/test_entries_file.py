"""An entered-indicators file is checked whole: every bad line is named with its reason, and one
bad line refuses the file (ingestion.file_source with the `entries` kind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.entries import COLUMNS, ENTERED, catalogue_reasons, entries_kind
from ingestion.file_source import SubmissionRefused, read_submission

REASONS = catalogue_reasons()
ENTERED_IDS = sorted(i for i, reason in REASONS.items() if reason == ENTERED)
COMPUTED_ID = min(i for i, reason in REASONS.items() if not reason)
OTHER_REASON_ID, OTHER_REASON = min((i, r) for i, r in REASONS.items() if r and r != ENTERED)
UNITS = {"agency": frozenset({"000.00.01.H57", "000.00.02.H57"}), "province": frozenset({"H57"})}
KIND = entries_kind(REASONS, UNITS)
GOOD = {
    "indicator_id": ENTERED_IDS[0],
    "level": "agency",
    "unit_id": "000.00.01.H57",
    "period_kind": "month",
    "period_start": "2025-09-01",
    "numerator": "3",
    "denominator": "4",
}
#: another good row (another unit and period), beside which a bad row is written
QUARTER = {
    **GOOD,
    "level": "province",
    "unit_id": "H57",
    "period_kind": "quarter",
    "period_start": "2025-07-01",
}


def _write(tmp_path: Path, rows: list[dict[str, str]], name: str = "entries-2025-10-05.csv") -> Path:
    lines = [",".join(COLUMNS)] + [",".join(row[c] for c in COLUMNS) for row in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_good_file_is_read_with_its_date_and_hash(tmp_path: Path) -> None:
    submission = read_submission(KIND, _write(tmp_path, [GOOD, QUARTER]))
    assert str(submission.submitted_on) == "2025-10-05"
    assert len(submission.sha256) == 64
    assert [line for line, _ in submission.rows] == [2, 3]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"indicator_id": "766-9.9"}, "unknown indicator 766-9.9"),
        (
            {"indicator_id": COMPUTED_ID},
            f"indicator {COMPUTED_ID} is not entered by the department (it is computed)",
        ),
        (
            {"indicator_id": OTHER_REASON_ID},
            f"indicator {OTHER_REASON_ID} is not entered by the department (its reason is {OTHER_REASON})",
        ),
        ({"unit_id": "000.00.99.H57"}, "unknown agency 000.00.99.H57"),
        ({"level": "commune"}, "level commune is not one of agency, province"),
        ({"period_kind": "week"}, "period_kind week is not one of month, quarter, year"),
        ({"period_start": "2025-09-15"}, "period_start 2025-09-15 is not the first day of a month"),
        ({"period_kind": "quarter", "period_start": "2025-08-01"}, "is not the first day of a quarter"),
        ({"period_start": "2025-13-01"}, "period_start 2025-13-01 is not the first day of a month"),
        ({"numerator": "-1"}, "numerator -1 is out of range (below 0)"),
        ({"denominator": "0"}, "denominator 0 is out of range (not above 0)"),
        ({"numerator": "x"}, "numerator x is not a number"),
        ({"numerator": "2.5"}, "numerator 2.5 is not a whole number"),
        ({"numerator": "5"}, "numerator 5 is greater than denominator 4"),
        ({"unit_id": ""}, "missing unit_id"),
    ],
)
def test_each_bad_row_is_named_with_its_reason(tmp_path: Path, change: dict[str, str], reason: str) -> None:
    path = _write(tmp_path, [QUARTER, {**GOOD, **change}])
    with pytest.raises(SubmissionRefused) as refusal:
        read_submission(KIND, path)
    lines = str(refusal.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith("entries-2025-10-05.csv:3: ") and reason in lines[0]


def test_every_bad_line_is_listed_in_one_message(tmp_path: Path) -> None:
    path = _write(tmp_path, [{**GOOD, "numerator": "9"}, GOOD, {**GOOD, "indicator_id": "nope"}, GOOD])
    with pytest.raises(SubmissionRefused) as refusal:
        read_submission(KIND, path)
    assert str(refusal.value).splitlines() == [
        "entries-2025-10-05.csv:2: numerator 9 is greater than denominator 4",
        "entries-2025-10-05.csv:3: same indicator_id, level, unit_id, period_kind, period_start as line 2",
        "entries-2025-10-05.csv:4: unknown indicator nope",
        "entries-2025-10-05.csv:5: same indicator_id, level, unit_id, period_kind, period_start as line 2",
    ]


def test_a_missing_column_a_bad_name_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    short = tmp_path / "entries-2025-10-05.csv"
    short.write_text(",".join(COLUMNS[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(SubmissionRefused, match=r"entries-2025-10-05.csv:1: missing column\(s\) denominator"):
        read_submission(KIND, short)
    # a column the kind does not know (a free-text note could carry a name) is refused, not kept
    extra = tmp_path / "entries-2025-10-07.csv"
    extra.write_text(
        ",".join([*COLUMNS, "note"]) + "\n" + ",".join([*GOOD.values(), "x"]) + "\n", encoding="utf-8"
    )
    with pytest.raises(SubmissionRefused, match=r"entries-2025-10-07.csv:1: unexpected column\(s\) note"):
        read_submission(KIND, extra)
    with pytest.raises(
        SubmissionRefused, match=r"entries-2025-10\.csv:0: the name is not entries-YYYY-MM-DD.csv"
    ):
        read_submission(KIND, _write(tmp_path, [GOOD], "entries-2025-10.csv"))
    with pytest.raises(SubmissionRefused, match=r"entries-2025-10-08.csv:2: 7 fields expected"):
        read_submission(KIND, _write(tmp_path, [{**GOOD, "denominator": "4,1"}], "entries-2025-10-08.csv"))
    with pytest.raises(SubmissionRefused, match=r":1: no rows"):
        read_submission(KIND, _write(tmp_path, [], "entries-2025-10-06.csv"))
