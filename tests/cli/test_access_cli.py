"""``credo partner`` and ``credo audit verify`` as an operator uses them, on SQLite and
PostgreSQL; tampering is done straight in the database, as an intruder would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from credo.cli.app import app
from credo.errors import AuthenticationError
from credo.home import Home
from credo.storage.tables import audit_log

from factories import PERSON, make_home

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Home]:
    """A home with a partner, a grant and a few audit entries; the CLI points at it."""
    overrides = {}
    if request.param == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
        overrides["database_url"] = url
        monkeypatch.setenv("CREDO_DATABASE_URL", url)
    home = make_home(tmp_path, **overrides)
    monkeypatch.setenv("CREDO_HOME", str(home.settings.home))
    partner, _key = home.partners.add("acme", ["lending"])
    subject = home.tokeniser.subject(PERSON)
    pending = home.grants.request(partner, PERSON, purpose="lending")
    home.grants.approve(subject, pending.id)
    home.grants.revoke(subject, pending.id)
    assert home.audit.count() >= 4
    yield home
    home.dispose()


def verify(*extra: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["audit", "verify", "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


def test_partner_add_prints_the_key_once_and_list_never_shows_it(world: Home) -> None:
    added = runner.invoke(app, ["partner", "add", "bikes", "--purposes", "rental", "--json"])
    assert added.exit_code == 0, added.output
    key = json.loads(added.stdout)["api_key"]
    assert world.partners.authenticate(key).name == "bikes"
    listed = runner.invoke(app, ["partner", "list", "--json"])
    assert listed.exit_code == 0
    assert key not in listed.stdout
    names = [p["name"] for p in json.loads(listed.stdout)]
    assert names == ["acme", "bikes"]


def test_partner_add_refuses_an_unknown_purpose_with_exit_2(world: Home) -> None:
    result = runner.invoke(app, ["partner", "add", "dating", "--purposes", "matchmaking"])
    assert result.exit_code == 2
    assert "matchmaking" in result.output


def test_a_disabled_partner_key_stops_working(world: Home) -> None:
    _partner, key = world.partners.add("bikes", ["rental"])
    assert runner.invoke(app, ["partner", "disable", "bikes"]).exit_code == 0
    with pytest.raises(AuthenticationError):
        world.partners.authenticate(key)


def test_an_untouched_chain_verifies(world: Home) -> None:
    code, report = verify()
    assert code == 0
    assert report["ok"] is True
    assert report["checked"] == world.audit.count()


def test_an_edited_entry_is_caught(world: Home) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(audit_log).where(audit_log.c.id == 2).values(detail='{"partner":"other"}')
        )
    code, report = verify()
    assert code == 1
    assert (report["problem"], report["first_bad"]) == ("altered", 2)


def test_a_removed_entry_is_caught(world: Home) -> None:
    with world.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == 2))
    code, report = verify()
    assert code == 1
    assert (report["problem"], report["first_bad"]) == ("removed", 2)


def test_swapped_entries_are_caught(world: Home) -> None:
    with world.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 2).values(id=-2))
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(id=2))
        conn.execute(update(audit_log).where(audit_log.c.id == -2).values(id=3))
    code, report = verify()
    assert code == 1
    assert report["problem"] == "reordered"


def test_the_anchor_catches_a_chain_cut_short_at_its_end(world: Home, tmp_path: Path) -> None:
    anchor = tmp_path / "audit-anchor.json"
    assert verify("--anchor", str(anchor))[0] == 0
    last = world.audit.count()
    assert json.loads(anchor.read_text())["id"] == last
    with world.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == last))
    assert verify()[0] == 0, "without an anchor a cut at the end cannot be seen"
    code, report = verify("--anchor", str(anchor))
    assert code == 1
    assert "cut short" in str(report["message"])
