"""The benchmark's own arithmetic (bench/harness.py): order, checksum query, medians, ratios, /proc parsing.

No timing is asserted anywhere: these pin what the harness computes from given numbers.
"""

from __future__ import annotations

import math

import pytest

from bench.harness import (
    checksum_sql,
    interleaved,
    paired_ratios,
    proc_cpu_seconds,
    ratio,
    summarise,
    wall_vs_cpu_bound,
)


def test_rounds_interleave_every_way_once_per_round() -> None:
    assert interleaved(["A", "B", "C"], 2) == [(1, "A"), (1, "B"), (1, "C"), (2, "A"), (2, "B"), (2, "C")]


def test_interleaving_refuses_no_rounds_and_repeated_ways() -> None:
    with pytest.raises(ValueError):
        interleaved(["A"], 0)
    with pytest.raises(ValueError):
        interleaved(["A", "A"], 3)


def test_checksum_query_covers_only_the_given_columns_in_byte_order() -> None:
    query = checksum_sql("raw", "onestop__dossiers", ["source_updated_at", "ma_ho_so"]).as_string(None)
    assert query == (
        "select count(*), md5(coalesce(string_agg(r, E'\\n' order by r collate \"C\"), ''))"
        ' from (select row("source_updated_at", "ma_ho_so")::text as r from "raw"."onestop__dossiers") as s'
    )
    assert "batch_id" not in query and "loaded_at" not in query


def test_checksum_needs_columns() -> None:
    with pytest.raises(ValueError):
        checksum_sql("raw", "t", [])


def test_summary_is_median_with_min_and_max() -> None:
    s = summarise([30.0, 10.0, 20.0, 50.0])
    assert (s.median, s.low, s.high, s.n) == (25.0, 10.0, 50.0, 4)
    assert s.as_dict() == {"median": 25.0, "min": 10.0, "max": 50.0, "n": 4}
    with pytest.raises(ValueError):
        summarise([])


def test_ratios_are_throughput_of_the_first_over_the_second() -> None:
    assert ratio(30_000, 40_000) == 0.75
    assert math.isnan(ratio(1.0, 0.0))
    assert paired_ratios([10.0, 30.0], [20.0, 10.0]) == [0.5, 3.0]
    with pytest.raises(ValueError):
        paired_ratios([1.0], [1.0, 2.0])


def test_wall_vs_cpu_bound_compares_wall_time_with_the_cpu_spread_over_the_cores() -> None:
    # 3 s of wall time for 4 s of CPU on 2 cores (2 s if both were busy all along): 1.5
    assert wall_vs_cpu_bound(3.0, 4.0, 2) == 1.5
    assert wall_vs_cpu_bound(2.0, 4.0, 2) == 1.0
    assert math.isnan(wall_vs_cpu_bound(1.0, 0.0, 2))
    with pytest.raises(ValueError):
        wall_vs_cpu_bound(1.0, 1.0, 0)


def test_proc_stat_cpu_counts_after_the_command_name() -> None:
    # pid (comm with ") " inside) state ppid ... utime=250 stime=50 cutime=100 cstime=20 (fields 14-17)
    line = "4242 (postgres: a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 100 20 20 0 1 0 99 0 0"
    assert proc_cpu_seconds(line, 100) == 3.0
    assert proc_cpu_seconds(line, 100, children=True) == 4.2


def test_dlt_reaches_a_socket_folder_through_libpq_s_host_option() -> None:
    from bench.loader import _dlt_credentials

    socket = _dlt_credentials("postgresql://postgres@/dtimon_bench?host=/tmp/dtimon-0-ab12cd34&port=55432")
    assert socket == {
        "database": "dtimon_bench",
        "username": "postgres",
        "password": "unused",
        "host": "localhost",
        "port": 55432,
        "query": {"host": "/tmp/dtimon-0-ab12cd34"},
    }
    tcp = _dlt_credentials("postgresql://bench:secret@127.0.0.1:5432/dtimon_bench")
    assert tcp["host"] == "127.0.0.1" and "query" not in tcp and tcp["password"] == "secret"
