"""API tests run on both operational stores: SQLite (always) and PostgreSQL (CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.home import Home

from factories import make_home


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Home]:
    """An initialised home on SQLite, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        state = make_home(tmp_path)
    else:
        state = make_home(tmp_path, database_url=request.getfixturevalue("fresh_postgres_url"))
    yield state
    state.dispose()
