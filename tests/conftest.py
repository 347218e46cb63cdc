"""Shared fixtures: a fresh credo home per test, event factories, service environments."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from credo.home import Home

from factories import NOW, OTHER, PERSON, make_home, services_required
from worlds import lake_template, model_template, trained, untrained

__all__ = ["lake_template", "model_template", "trained", "untrained"]  # fixtures of worlds.py


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    """An initialised home (SQLite, development key, clock fixed at NOW)."""
    state = make_home(tmp_path)
    yield state
    state.dispose()


@pytest.fixture
def ready(home: Home) -> Home:
    """A home with a source `bank` (every category) and PERSON consenting to everything."""
    from credo.consent.collection import ConsentChange
    from credo.events.schemas import CATEGORIES

    home.sources.add("bank", CATEGORIES, reliability=0.95)
    home.consents.record(
        ConsentChange(identifier=who, category=c, action="grant", at=NOW)
        for c in CATEGORIES
        for who in (PERSON, OTHER)
    )
    return home


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[tuple[Engine, str]]:
    """An AUTOCOMMIT engine on the test server and its URL (skips when none is reachable)."""
    base = os.environ.get(
        "CREDO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        if services_required():
            pytest.fail(f"PostgreSQL required but unreachable at {base}: {exc}")
        pytest.skip(f"no PostgreSQL at {base}: {exc}")
    yield admin, base
    admin.dispose()


@contextmanager
def _database(admin: Engine, base: str) -> Iterator[str]:
    name = f"credo_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url(postgres_admin: tuple[Engine, str]) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (skips when no server is reachable)."""
    with _database(*postgres_admin) as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_admin: tuple[Engine, str]) -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards)."""
    with _database(*postgres_admin) as url:
        yield url
