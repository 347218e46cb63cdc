"""``credo demo access``: the logins it prints work, and it refuses a production home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli.app import app
from credo.home import Home

from factories import PERSON

runner = CliRunner()


@pytest.fixture
def cli_home(home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("CREDO_HOME", str(home.settings.home))
    return home


def test_the_printed_logins_work(cli_home: Home) -> None:
    result = runner.invoke(app, ["demo", "access", "--person", PERSON, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    session = cli_home.people.login(PERSON, doc["person"]["password"])
    subject = cli_home.people.authenticate(session.token)
    partner = cli_home.partners.authenticate(doc["partner"]["api_key"])
    pending = cli_home.grants.pending_for(subject)
    assert [(g.id, g.partner_id, g.scope) for g in pending] == [
        (doc["partner"]["authorization"], partner.id, "score_reasons")
    ]
    cli_home.people.authenticate_operator(doc["operator_token"])


def test_the_text_form_shows_how_to_try_it(cli_home: Home) -> None:
    result = runner.invoke(app, ["demo", "access", "--person", PERSON])
    assert result.exit_code == 0, result.output
    assert "/v1/me/score" in result.stdout
    assert "threshold?min=650" in result.stdout
    assert "/login (the person)" in result.stdout


def test_no_demo_logins_in_production(cli_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_ENV", "production")
    result = runner.invoke(app, ["demo", "access", "--person", PERSON])
    assert result.exit_code == 1
    assert "production" in result.output
    assert not cli_home.partners.list()


def test_it_needs_an_initialised_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["demo", "access", "--person", PERSON])
    assert result.exit_code == 1
    assert "credo init" in result.output
