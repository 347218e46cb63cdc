"""Operator routes: only an operator token opens them; what they answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from credo.api import create_app
from credo.home import Home
from credo.storage.tables import audit_log

from factories import NOW, PERSON


@pytest.fixture
def client(api_home: Home) -> Iterator[TestClient]:
    with TestClient(create_app(api_home)) as client:
        yield client


def operator(home: Home) -> dict[str, str]:
    return {"Authorization": f"Bearer {home.people.issue_operator_token(hours=1)}"}


def test_only_an_operator_token_opens_the_admin_routes(api_home: Home, client: TestClient) -> None:
    _partner, key = api_home.partners.add("acme", ["lending"])
    api_home.people.set_password(PERSON, "correct horse battery")
    session = api_home.people.login(PERSON, "correct horse battery")
    for headers in (
        {},
        {"Authorization": f"Bearer {key}"},
        {"Authorization": f"Bearer {session.token}"},
    ):
        response = client.get("/v1/admin/runs", headers=headers)
        assert response.status_code == 401
        assert set(response.json()) == {"error", "detail", "request_id"}
    assert client.get("/v1/admin/runs", headers=operator(api_home)).status_code == 200


def test_runs_say_which_snapshot_is_served(api_home: Home, client: TestClient) -> None:
    run = api_home.snapshots.begin(as_of=NOW, model_id=None, engine="duckdb", started_at=NOW)
    api_home.snapshots.publish(run, summary={"scored": 0}, finished_at=NOW)
    runs = client.get("/v1/admin/runs", headers=operator(api_home)).json()["runs"]
    assert [(r["id"], r["status"], r["current"]) for r in runs] == [(run, "published", True)]


def test_partner_registration_shows_the_key_once(api_home: Home, client: TestClient) -> None:
    body = {"name": "bikes", "purposes": ["rental"], "is_source": False}
    created = client.post("/v1/admin/partners", json=body, headers=operator(api_home))
    assert created.status_code == 201, created.text
    assert api_home.partners.authenticate(created.json()["api_key"]).name == "bikes"
    again = client.post("/v1/admin/partners", json=body, headers=operator(api_home))
    assert again.status_code == 409
    bad = {"name": "dating", "purposes": ["matchmaking"]}
    assert (
        client.post("/v1/admin/partners", json=bad, headers=operator(api_home)).status_code == 422
    )


def test_audit_verification_over_http_sees_tampering(api_home: Home, client: TestClient) -> None:
    api_home.partners.add("acme", ["lending"])
    headers = operator(api_home)
    assert client.get("/v1/admin/audit/verify", headers=headers).json()["ok"] is True
    with api_home.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 1).values(action="partner.removed"))
    report = client.get("/v1/admin/audit/verify", headers=headers).json()
    assert (report["ok"], report["problem"], report["first_bad"]) == (False, "altered", 1)
