"""The Alembic migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from credo.consent.collection import ConsentChange
from credo.errors import ConfigurationError
from credo.events.schemas import CATEGORIES
from credo.home import Home
from credo.settings import Settings
from credo.storage.db import connect, current_revision, head_revision, migrate
from credo.storage.tables import metadata

from factories import PERSON, event, make_home, write_jsonl


def assert_schema_matches(url: str) -> None:
    engine = connect(url)
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_schema_matches_tables(tmp_path: Path) -> None:
    assert_schema_matches(f"sqlite:///{tmp_path / 'x.db'}")


@pytest.mark.postgres
def test_postgres_schema_matches_tables(postgres_url: str) -> None:
    assert_schema_matches(postgres_url)


def test_uninitialised_home_says_what_to_do(tmp_path: Path) -> None:
    home = Home(Settings(home=tmp_path / "fresh"))
    with pytest.raises(ConfigurationError, match="run `credo init`"):
        home.require_ready()


def test_head_revision_is_current_after_init(home: Home) -> None:
    assert current_revision(home.engine) == head_revision()


@pytest.mark.postgres
def test_ingest_and_vault_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    home = make_home(tmp_path, database_url=postgres_url)
    home.sources.add("bank", CATEGORIES)
    home.consents.record(
        ConsentChange(identifier=PERSON, category=c, action="grant", at=home.clock.now())
        for c in CATEGORIES
    )
    path = write_jsonl(tmp_path / "in.jsonl", [event("e1"), event("p1", "profile_update")])
    report = home.ingestor().ingest([str(path)], source="bank")
    again = home.ingestor().ingest([str(path)], source="bank")
    assert (report.accepted, again.duplicates) == (2, 2)
    fields = {r.field: r.value for r in home.vault.read(home.tokeniser.subject(PERSON))}
    assert fields["name"] == "Zhang Xiuying"
    assert fields["identifier"] == PERSON
    home.dispose()
