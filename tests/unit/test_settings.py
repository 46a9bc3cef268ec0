"""Settings read from the environment."""

from __future__ import annotations

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
