"""The benchmark's own arithmetic, kept free of I/O so that tests/unit/test_bench_harness.py can pin it.

- `interleaved`: the order of the measurements (A B C … A B C …), so that every way sees the
  same drift of the shared machine instead of one way getting the quiet minute.
- `checksum_sql`: the query that proves every way wrote the same final rows.
- `Summary` / `summarise` / `ratio`: medians with min–max, and throughput ratios.
- `proc_cpu_seconds`: user + system CPU of a process from `/proc/<pid>/stat`.
- `wall_vs_cpu_bound`: how far a run's wall time is from the time its CPU work needs on all cores.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql


def interleaved(ways: Sequence[str], rounds: int) -> list[tuple[int, str]]:
    """(round, way) in measuring order: every way once per round, rounds one after the other."""
    if rounds < 1:
        raise ValueError("at least one round")
    if len(set(ways)) != len(ways):
        raise ValueError("ways must be distinct")
    return [(r, way) for r in range(1, rounds + 1) for way in ways]


def checksum_sql(schema: str, table: str, columns: Sequence[str]) -> sql.Composed:
    """`(row count, md5 of the rows as text in byte order)` over `columns` only.

    The loader's own columns (`batch_id`, `loaded_at`) are left out: they differ by design
    between ways and runs. Ordering by the row text itself (collation "C") is a total order
    that needs no key, so a table without one (progress) is checked the same way.
    """
    if not columns:
        raise ValueError("no columns to check")
    row = sql.SQL("row({})::text").format(sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    return sql.SQL(
        "select count(*), md5(coalesce(string_agg(r, E'\\n' order by r collate \"C\"), ''))"
        " from (select {} as r from {}) as s"
    ).format(row, sql.Identifier(schema, table))


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "min": self.low, "max": self.high, "n": self.n}


def summarise(values: Sequence[float]) -> Summary:
    if not values:
        raise ValueError("nothing to summarise")
    return Summary(statistics.median(values), min(values), max(values), len(values))


def ratio(numerator: float, denominator: float) -> float:
    """numerator ÷ denominator (how many times faster the first is); NaN when undefined."""
    if denominator <= 0:
        return float("nan")
    return numerator / denominator


def paired_ratios(first: Sequence[float], second: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two ways' throughputs (the rounds pair them in time)."""
    if len(first) != len(second):
        raise ValueError("the two ways were not measured in the same rounds")
    return [ratio(a, b) for a, b in zip(first, second, strict=True)]


def wall_vs_cpu_bound(seconds: float, cpu_seconds: float, cores: int) -> float:
    """Wall time ÷ (CPU time of every process involved ÷ cores): 1.0 when the work kept every
    core busy the whole time, more for each moment a process waited; NaN without CPU time."""
    if cores < 1:
        raise ValueError("at least one core")
    return ratio(seconds, cpu_seconds / cores)


def proc_cpu_seconds(stat_line: str, clock_ticks: int, *, children: bool = False) -> float:
    """utime + stime (+ cutime + cstime: reaped children) of one `/proc/<pid>/stat` line, in seconds.

    The command name (field 2) may contain spaces and parentheses: fields are counted after
    its closing parenthesis.
    """
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    ticks = utime + stime + ((cutime + cstime) if children else 0)
    return ticks / clock_ticks
