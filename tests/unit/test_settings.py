"""Settings read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        ("", False),
        ("onestop", True),
        ("onestop.procedures", True),
        ("onestop.agencies, documents", False),
        (" onestop.procedures ,onestop.agencies", True),
    ],
)
def test_an_accepted_catalogue_shrink_names_the_source_or_the_entity(accepted: str, expected: bool) -> None:
    settings = Settings.from_env({"DTIMON_ACCEPT_SHRINK": accepted})
    assert settings.accepts_shrink("onestop", "procedures") is expected


def test_the_entries_directory_defaults_inside_the_home_and_may_be_set(tmp_path: Path) -> None:
    assert Settings.from_env({"DTIMON_HOME": str(tmp_path)}).entries_dir == tmp_path.resolve() / "entries"
    chosen = tmp_path / "submissions"
    assert Settings.from_env({"DTIMON_ENTRIES_DIR": str(chosen)}).entries_dir == chosen.resolve()
