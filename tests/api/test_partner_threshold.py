"""The partner threshold query over HTTP: Y/N/N-A and nothing else, every refusal alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.home import Home

from factories import NOW, OTHER, PERSON


@dataclass
class World:
    client: TestClient
    home: Home
    key: str
    open_id: str
    grant_id: int
    subject: str


@pytest.fixture
def world(api_home: Home) -> Iterator[World]:
    home = api_home
    subject = home.tokeniser.subject(PERSON)
    run = home.snapshots.begin(as_of=NOW, model_id=None, engine="duckdb", started_at=NOW)
    home.snapshots.write(
        run, [{"subject": subject, "score": 640, "band": "good", "percentile": 70.0}]
    )
    home.snapshots.publish(run, summary={}, finished_at=NOW)
    partner, key = home.partners.add("acme", ["lending"])
    pending = home.grants.request(partner, PERSON, purpose="lending")
    grant = home.grants.approve(subject, pending.id)
    assert grant.open_id is not None
    with TestClient(create_app(home)) as client:
        yield World(client, home, key, grant.open_id, grant.id, subject)


def ask(world: World, minimum: int, *, key: str | None = None, open_id: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {key or world.key}"}
    url = f"/v1/partner/subjects/{open_id or world.open_id}/threshold"
    return world.client.get(url, params={"min": minimum}, headers=headers)


def test_health(world: World) -> None:
    response = world.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response.headers["X-Request-ID"]


def test_a_granted_partner_gets_yes_or_no_and_nothing_else(world: World) -> None:
    assert ask(world, 600).json() == {"admitted": "Y"}
    assert ask(world, 650).json() == {"admitted": "N"}
    entries = world.home.audit.for_subject(world.subject)
    assert [e.action for e in entries][:2] == ["disclosure.threshold", "disclosure.threshold"]


def test_a_missing_or_forged_key_is_401(world: World) -> None:
    bare = world.client.get(f"/v1/partner/subjects/{world.open_id}/threshold?min=600")
    assert bare.status_code == 401
    body = bare.json()
    assert set(body) == {"error", "detail", "request_id"}
    assert body["error"] == "unauthenticated"
    assert ask(world, 600, key="credo_" + "x" * 43).status_code == 401


def test_after_revocation_the_partner_is_denied_without_learning_why(world: World) -> None:
    world.home.grants.revoke(world.subject, world.grant_id)
    response = ask(world, 600)
    assert response.status_code == 403
    assert response.json()["detail"] == "no authorization covers this request"
    body = response.json()
    said = body["error"] + " " + body["detail"]  # the request id is random hex: not scanned
    assert "revoked" not in said
    assert "640" not in said


def test_another_partners_open_id_is_denied_alike(world: World) -> None:
    _other, other_key = world.home.partners.add("bikes", ["rental"])
    response = ask(world, 600, key=other_key)
    assert response.status_code == 403
    assert response.json()["detail"] == "no authorization covers this request"
    unknown = ask(world, 600, open_id="0" * 32)
    assert unknown.status_code == 403
    assert unknown.json()["detail"] == response.json()["detail"]


def test_the_fourth_distinct_threshold_is_refused_with_429(world: World) -> None:
    for minimum in (600, 610, 620, 600):
        assert ask(world, minimum).status_code == 200
    refused = ask(world, 630)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_thresholds"


def test_bad_input_is_422_with_the_field(world: World) -> None:
    response = ask(world, 2000)
    assert response.status_code == 422
    assert "min" in response.json()["detail"]
    assert ask(world, 600, open_id="not-an-open-id").status_code == 422


def test_no_published_score_answers_na(world: World) -> None:
    home = world.home
    partner = home.partners.get("acme")
    pending = home.grants.request(partner, OTHER, purpose="lending")
    grant = home.grants.approve(home.tokeniser.subject(OTHER), pending.id)
    assert ask(world, 600, open_id=grant.open_id).json() == {"admitted": "N/A"}


def test_wider_scopes_need_wider_grants(world: World) -> None:
    home = world.home
    headers = {"Authorization": f"Bearer {world.key}"}
    base = f"/v1/partner/subjects/{world.open_id}"
    assert world.client.get(f"{base}/band", headers=headers).status_code == 403
    partner = home.partners.get("acme")
    pending = home.grants.request(partner, PERSON, purpose="lending", scope="score_reasons")
    grant = home.grants.approve(world.subject, pending.id)
    wide = f"/v1/partner/subjects/{grant.open_id}"
    assert world.client.get(f"{wide}/band", headers=headers).json() == {
        "band": "good",
        "as_of": NOW.isoformat(),
    }
    score = world.client.get(f"{wide}/score", headers=headers).json()
    assert (score["score"], score["band"]) == (640, "good")
    reasons = world.client.get(f"{wide}/score_reasons", headers=headers).json()
    assert reasons["reasons"] == []
    assert "percentile" not in reasons
