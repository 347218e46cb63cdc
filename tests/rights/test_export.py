"""The export holds every kind of record credo keeps about a person, and nobody else's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from credo.api import create_app
from credo.cli.app import app
from credo.errors import NotFoundError
from credo.home import Home
from credo.rights.export import EXPORT_FORMAT, export_person

from factories import NOW, OTHER, PERSON, event, score_detail

runner = CliRunner()


@pytest.fixture
def person(ready: Home) -> Home:
    """PERSON with events, personal data, a score, a grant, a disclosure and a login."""
    home = ready
    report = home.ingestor().ingest_records(
        [
            event("e1"),
            event("p1", "profile_update"),
            event("t1", "tie"),
            event("o1", subject=OTHER),  # someone else's event: never in PERSON's export
        ],
        source="bank",
    )
    assert report.rejected == 0, report.rejected_records
    subject = home.tokeniser.subject(PERSON)
    run = home.snapshots.begin(as_of=NOW, model_id=None, engine="duckdb", started_at=NOW)
    detail = score_detail(640, {"hist_utilisation": 31.2}, None)
    detail["values"] = {"hist_utilisation": 0.62}
    home.snapshots.write(
        run,
        [
            {
                "subject": subject,
                "score": 640,
                "band": "good",
                "percentile": 70.0,
                "detail": detail,
            },
            {
                "subject": home.tokeniser.subject(OTHER),
                "score": 701,
                "band": "excellent",
                "percentile": 99.0,
                "detail": {},
            },
        ],
    )
    home.snapshots.publish(run, summary={}, finished_at=NOW)
    partner, _key = home.partners.add("acme", ["lending"])
    pending = home.grants.request(partner, PERSON, purpose="lending")
    grant = home.grants.approve(subject, pending.id)
    assert grant.open_id is not None
    home.disclosures.threshold(partner, grant.open_id, 600)
    home.people.set_password(PERSON, "correct horse battery")
    return home


def test_every_kind_of_record_is_exported(person: Home) -> None:
    subject = person.tokeniser.subject(PERSON)
    doc = export_person(person.export_sources(), subject)
    assert (doc["format"], doc["subject"]) == (EXPORT_FORMAT, subject)
    fields = {p["field"]: p["value"] for p in doc["personal_data"]}
    assert fields["name"] == "Zhang Xiuying"
    assert fields["identifier"] == PERSON
    assert sorted(e["event_id"] for e in doc["events"]) == ["e1", "p1", "t1"]
    assert {e["source"] for e in doc["events"]} == {"bank"}
    [score] = doc["scores"]
    assert (score["score"], score["band"]) == (640, "good")
    assert score["characteristics"] == {"hist_utilisation": 0.62}
    assert score["reasons"][0]["code"].startswith("R")
    assert {(c["category"], c["granted"]) for c in doc["consents"]} >= {("history", True)}
    [grant] = doc["grants"]
    assert (grant["partner"], grant["status"], grant["scope"]) == ("acme", "approved", "threshold")
    [access] = doc["access_log"]
    assert (access["action"], access["detail"]["threshold"]) == ("disclosure.threshold", 600)
    assert {e["action"] for e in doc["audit"]} >= {"grant.requested", "grant.approved"}
    assert doc["login"] == {"password_set": True}
    text = json.dumps(doc)
    assert "701" not in text  # OTHER's score
    assert "o1" not in [e["event_id"] for e in doc["events"]]
    assert "argon2" not in text  # never the password's hash


def test_the_document_is_plain_json(person: Home) -> None:
    doc = export_person(person.export_sources(), person.tokeniser.subject(PERSON))
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc


def test_someone_credo_knows_nothing_about_is_not_found(person: Home) -> None:
    with pytest.raises(NotFoundError, match="holds nothing"):
        export_person(person.export_sources(), person.tokeniser.subject("+86 135 0000 0000"))


def test_the_command_writes_a_private_file(
    person: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDO_HOME", str(person.settings.home))
    target = tmp_path / "export.json"
    result = runner.invoke(app, ["rights", "export", PERSON, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o777 == 0o600
    assert json.loads(target.read_text())["subject"] == person.tokeniser.subject(PERSON)


def test_a_person_downloads_their_own_export(person: Home) -> None:
    with TestClient(create_app(person)) as client:
        login = {"identifier": PERSON, "password": "correct horse battery"}
        token = client.post("/v1/login", json=login).json()["token"]
        response = client.get("/v1/me/export", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        doc = response.json()
        assert doc["subject"] == person.tokeniser.subject(PERSON)
        assert {"personal_data", "events", "scores", "grants", "disputes"} <= set(doc)
        assert client.get("/v1/me/export").status_code == 401
