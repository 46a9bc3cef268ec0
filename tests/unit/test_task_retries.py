"""A failure that a retry on the same data would meet again fails the task without retry."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from infra import tasks
from infra.dbt import DbtFailed
from ingestion.runner import RenamedField


def test_a_deterministic_error_fails_without_retry_and_keeps_its_message() -> None:
    with (
        pytest.raises(AirflowFailException, match="RenamedField: NgayTiepNhan is absent") as failed,
        tasks.fail_without_retry(RenamedField),
    ):
        raise RenamedField("NgayTiepNhan is absent from 45 of 100 records")
    assert isinstance(failed.value.__cause__, RenamedField)


def test_any_other_error_is_left_to_the_retries() -> None:
    with pytest.raises(ConnectionError), tasks.fail_without_retry(RenamedField):
        raise ConnectionError("source unreachable")


@pytest.mark.parametrize(
    ("returncode", "raised", "step"),
    [(1, AirflowFailException, "dbt build"), (2, DbtFailed, "dbt source freshness")],
)
def test_dbt_handled_errors_are_not_retried_unhandled_ones_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, returncode: int, raised: type[BaseException], step: str
) -> None:
    """dbt exits 1 on a failing test or a compile error, 2 on an unhandled one (a lost connection).
    Freshness's handled errors (stale sources) are warnings: the build runs and fails on its own."""

    def failing_dbt(args: list[str], url: str) -> None:
        raise DbtFailed(f"`dbt {' '.join(args)}` failed with exit code {returncode}", returncode)

    monkeypatch.setattr("infra.dbt.run_dbt", failing_dbt)
    monkeypatch.setattr(tasks, "recorded_step", lambda *args: nullcontext())
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))  # no results file: no verdict recorded
    with pytest.raises(raised, match=step):
        tasks.dbt_build(run_id="r", url="postgresql://u@h/db")
