"""The one file source: versioned CSV submissions the department writes (entered indicators,
later the DTI self-assessment), checked whole and kept.

A kind of submission (`FileKind`) names its files `<prefix>-YYYY-MM-DD.csv` (the submission
date), its columns and its row check. A file with any bad row is refused whole: the refusal
lists every `file:line: reason` in one message, nothing of it is loaded, and the previous
submission stays in force. An accepted file is loaded with its name, sha256 and submission date
into `raw.file_submissions` and its rows into `raw.file_submission_rows` (jsonb, one row per
line), once: a file already loaded (same kind and sha256) is skipped, so loading twice changes
nothing. Which submission is in force is for the models to say (the latest per key).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
import psycopg

#: the reasons a row gives, each a short phrase (no line number: the refusal adds it)
RowCheck = Callable[[Mapping[str, str]], list[str]]
FILE_DATE = r"(\d{4}-\d{2}-\d{2})"


class SubmissionRefused(ValueError):
    """A submission (or several) was refused; the message lists every `file:line: reason`."""


@dataclass(frozen=True)
class FileKind:
    """A kind of submission: its file-name prefix, the columns it must have (`optional` ones may
    be blank), the check of one row and the columns a row is unique on within a file."""

    name: str
    prefix: str
    columns: tuple[str, ...]
    check_row: RowCheck
    optional: tuple[str, ...] = ()
    key: tuple[str, ...] = ()

    def submission_date(self, path: Path) -> date | None:
        """The date in the file's name, None when the name is not `<prefix>-YYYY-MM-DD.csv`."""
        match = re.fullmatch(rf"{re.escape(self.prefix)}-{FILE_DATE}\.csv", path.name)
        if match is None:
            return None
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None


@dataclass(frozen=True)
class Submission:
    """An accepted file: its rows (line number → the row's fields)."""

    kind: str
    path: Path
    submitted_on: date
    sha256: str
    rows: tuple[tuple[int, dict[str, str]], ...]


def read_submission(kind: FileKind, path: Path) -> Submission:
    """Read and check `path` whole; SubmissionRefused listing every bad line otherwise."""
    submitted_on = kind.submission_date(path)
    if submitted_on is None:
        raise SubmissionRefused(f"{path.name}:0: the name is not {kind.prefix}-YYYY-MM-DD.csv")
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionRefused(f"{path.name}:0: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    missing = [c for c in kind.columns if c not in header]
    if missing:
        raise SubmissionRefused(f"{path.name}:1: missing column(s) {', '.join(missing)}")
    unexpected = [c for c in header if c not in kind.columns]
    if unexpected:  # kept by allow-list only: a column nobody declared is not stored
        raise SubmissionRefused(f"{path.name}:1: unexpected column(s) {', '.join(unexpected)}")
    problems: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    first_line: dict[tuple[str, ...], int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            problems.append(f"{path.name}:{line}: {len(header)} fields expected")
            continue
        fields = {c: (row.get(c) or "").strip() for c in kind.columns}
        blank = [c for c in kind.columns if not fields[c] and c not in kind.optional]
        reasons = [f"missing {', '.join(blank)}"] if blank else kind.check_row(fields)
        if kind.key:
            key = tuple(fields[c] for c in kind.key)
            if key in first_line:
                reasons.append(f"same {', '.join(kind.key)} as line {first_line[key]}")
            first_line.setdefault(key, line)
        problems += [f"{path.name}:{line}: {reason}" for reason in reasons]
        rows.append((line, fields))
    if not rows and not problems:
        problems.append(f"{path.name}:1: no rows")
    if problems:
        raise SubmissionRefused("\n".join(problems))
    return Submission(kind.name, path, submitted_on, hashlib.sha256(content).hexdigest(), tuple(rows))


def submission_files(kind: FileKind, directory: Path) -> list[Path]:
    """The kind's files in `directory` (by name: prefix, then date), oldest submission first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_file() and p.name.startswith(f"{kind.prefix}-")]
    return sorted(found, key=lambda p: (str(kind.submission_date(p)), p.name))


def store(conn: psycopg.Connection, submission: Submission) -> bool:
    """Keep an accepted submission in one transaction; False when this very file is already kept."""
    with conn.transaction():
        row = conn.execute(
            "insert into raw.file_submissions (kind, file_name, sha256, submitted_on, row_count)"
            " values (%s, %s, %s, %s, %s) on conflict (kind, sha256) do nothing returning submission_id",
            (
                submission.kind,
                submission.path.name,
                submission.sha256,
                submission.submitted_on,
                len(submission.rows),
            ),
        ).fetchone()
        if row is None:
            return False
        with conn.cursor() as cur:
            cur.executemany(
                "insert into raw.file_submission_rows (submission_id, line, fields) values (%s, %s, %s::jsonb)",
                [(row[0], line, orjson.dumps(fields).decode()) for line, fields in submission.rows],
            )
    return True


@dataclass(frozen=True)
class LoadResult:
    loaded: tuple[str, ...]  # file names kept by this call
    unchanged: tuple[str, ...]  # already kept before
    refused: str  # every file:line: reason of the refused files ("" when none)


def load_directory(conn: psycopg.Connection, kind: FileKind, directory: Path) -> LoadResult:
    """Keep every acceptable file of `kind` in `directory` not kept yet; a refused file loads
    nothing (the others still load) and is reported in `refused`."""
    loaded: list[str] = []
    unchanged: list[str] = []
    refused: list[str] = []
    for path in submission_files(kind, directory):
        try:
            submission = read_submission(kind, path)
        except SubmissionRefused as refusal:
            refused.append(str(refusal))
            continue
        (loaded if store(conn, submission) else unchanged).append(path.name)
    return LoadResult(tuple(loaded), tuple(unchanged), "\n".join(refused))


def first_of_period(kind: str, text: str) -> date | None:
    """`text` (YYYY-MM-DD) when it is the first day of a `kind` period (month, quarter, year)."""
    try:
        start = date.fromisoformat(text)
    except ValueError:
        return None
    if (
        start.day != 1
        or (kind == "quarter" and start.month % 3 != 1)
        or (kind == "year" and start.month != 1)
    ):
        return None
    return start


def number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
