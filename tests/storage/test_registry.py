"""The model registry keeps every model and exactly one active."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from credo.errors import ConflictError, NotFoundError
from credo.home import Home

WHEN = datetime(2026, 11, 30, tzinfo=UTC)


def register(home: Home, sha: str, *, activate: bool = True) -> str:
    record = home.models.register(
        artifact='{"kind": "credo.scorecard"}',
        sha256=sha,
        kind="scorecard",
        created_at=WHEN,
        origin="test",
        auc=0.8,
        activate=activate,
    )
    return record.version


def test_the_newest_registered_model_is_active_and_the_old_one_kept(ready: Home) -> None:
    first = register(ready, "a" * 64)
    second = register(ready, "b" * 64)
    assert (first, second) == ("scorecard-0001", "scorecard-0002")
    active = ready.models.active()
    assert active is not None
    assert active.version == second
    assert [m.active for m in ready.models.history()] == [True, False]


def test_activate_switches_back(ready: Home) -> None:
    first = register(ready, "a" * 64)
    register(ready, "b" * 64)
    ready.models.activate(first)
    active = ready.models.active()
    assert active is not None
    assert active.version == first
    assert sum(m.active for m in ready.models.history()) == 1


def test_an_inactive_registration_leaves_the_active_model(ready: Home) -> None:
    assert ready.models.active() is None
    register(ready, "a" * 64, activate=False)
    assert ready.models.active() is None


def test_the_same_artifact_twice_is_a_conflict(ready: Home) -> None:
    register(ready, "a" * 64)
    with pytest.raises(ConflictError, match="already registered"):
        register(ready, "a" * 64)


def test_unknown_version(ready: Home) -> None:
    with pytest.raises(NotFoundError, match="no model 'scorecard-0042'"):
        ready.models.get("scorecard-0042")
