"""People's side of the API: login, then only ever their own score, history, privileges,
consents, grants and access log (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.clock import FixedClock
from credo.consent.grants import GrantDeniedError
from credo.consent.partners import Partner
from credo.home import Home
from credo.scoring.detail import reason_text

from factories import NOW, OTHER, PERSON, score_detail

MONTH_AGO = NOW - timedelta(days=31)
DAY = timedelta(days=1)


@dataclass
class World:
    client: TestClient
    home: Home
    acme: Partner
    acme_key: str
    subject: str

    def login(self, identifier: str = PERSON) -> dict[str, str]:
        code = self.home.people.issue_code(identifier)
        response = self.client.post("/v1/login", json={"identifier": identifier, "code": code})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def get(self, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
        return self.client.get(f"/v1/me/{path}", headers=headers, params=params)

    def act(self, grant_id: int, action: str, headers: dict[str, str]) -> httpx.Response:
        return self.client.post(f"/v1/me/grants/{grant_id}/{action}", headers=headers)


@pytest.fixture
def world(api_home: Home) -> Iterator[World]:
    home = api_home
    subject = home.tokeniser.subject(PERSON)
    model = home.models.register(
        artifact="{}", sha256="a" * 64, kind="scorecard", created_at=NOW, origin="test"
    )
    earlier = home.snapshots.begin(
        as_of=MONTH_AGO, model_id=model.id, engine="duckdb", started_at=MONTH_AGO
    )
    before = {"hist_utilisation": 37.5, "hist_worst_dpd_12m": 20.0}
    home.snapshots.write(
        earlier,
        [
            {
                "subject": subject,
                "score": 628,
                "band": "good",
                "percentile": 66.0,
                "detail": score_detail(628, before, None),
            }
        ],
    )
    home.snapshots.publish(earlier, summary={}, finished_at=MONTH_AGO)
    run = home.snapshots.begin(as_of=NOW, model_id=model.id, engine="duckdb", started_at=NOW)
    now = {"hist_utilisation": 31.2, "hist_worst_dpd_12m": 20.0}
    change = {
        "movers": [
            {
                "characteristic": "hist_utilisation",
                "text": reason_text("hist_utilisation")[0],
                "points": -6.3,
            }
        ],
        "same_model": True,
    }
    home.snapshots.write(
        run,
        [
            {
                "subject": subject,
                "score": 640,
                "band": "good",
                "percentile": 70.0,
                "detail": score_detail(640, now, change),
            },
            {
                "subject": home.tokeniser.subject(OTHER),
                "score": None,
                "na_reason": "fewer than 6 months of history and no credit event",
                "detail": {},
            },
        ],
    )
    home.snapshots.publish(run, summary={}, finished_at=NOW)
    acme, key = home.partners.add("acme", ["lending", "rental"])
    with TestClient(create_app(home)) as client:
        yield World(client, home, acme, key, subject)


def test_a_password_login_gives_a_session_until_the_configured_hours(world: World) -> None:
    world.home.people.set_password(PERSON, "correct horse battery")
    response = world.client.post(
        "/v1/login", json={"identifier": PERSON, "password": "correct horse battery"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert body["expires_at"] == "2026-11-02T00:00:00+00:00"  # NOW + 12 hours
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert world.get("consents", headers).status_code == 200


def test_a_failed_login_says_nothing_about_who_exists(world: World) -> None:
    world.home.people.set_password(PERSON, "correct horse battery")
    bodies = []
    for identifier in (PERSON, OTHER):
        response = world.client.post(
            "/v1/login", json={"identifier": identifier, "password": "wrong password"}
        )
        assert response.status_code == 401
        bodies.append(response.json()["detail"])
    assert bodies[0] == bodies[1]


@pytest.mark.parametrize(
    "body",
    [
        {"identifier": PERSON},
        {"identifier": PERSON, "password": "x" * 20, "code": "12345678"},
        {"identifier": PERSON, "code": "1234"},
        {"identifier": "1" * 65, "password": "x" * 20},
        {"identifier": PERSON, "password": "x" * 257},
    ],
)
def test_a_malformed_login_is_422(world: World, body: dict[str, str]) -> None:
    response = world.client.post("/v1/login", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"


def test_every_me_route_needs_a_live_session(world: World) -> None:
    for path in ("score", "history", "privileges", "consents", "grants", "access-log"):
        response = world.get(path, {})
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthenticated"
        forged = world.get(path, {"Authorization": "Bearer " + "A" * 43})
        assert forged.status_code == 401, path


def test_an_expired_session_is_401(world: World) -> None:
    headers = world.login()
    assert isinstance(world.home.clock, FixedClock)
    world.home.clock.set(NOW + timedelta(hours=12))
    response = world.get("score", headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_logout_ends_the_session(world: World) -> None:
    headers = world.login()
    assert world.client.post("/v1/logout", headers=headers).status_code == 204
    assert world.get("score", headers).status_code == 401


def test_my_score_explains_itself(world: World) -> None:
    body = world.get("score", world.login()).json()
    assert (body["score"], body["percentile"], body["na_reason"]) == (640, 70.0, None)
    assert body["band"] == {"name": "good", "name_zh": "良好", "low": 600, "high": 649}
    assert body["as_of"] == "2026-11-01T12:00:00+00:00"
    assert body["model_version"] == "scorecard-0001"
    assert body["dimensions"]["identity"] == 90.0
    first = body["reasons"][0]
    assert (first["characteristic"], first["value_text"]) == ("hist_utilisation", "62.0%")
    assert first["tip"] == reason_text("hist_utilisation")[1] != ""
    lift = body["what_would_raise_it"]
    assert (lift["from_value"], lift["to_text"], lift["new_score"]) == (0.62, "30.0%", 652)


def test_a_person_too_new_to_score_gets_na_with_the_reason(world: World) -> None:
    body = world.get("score", world.login(OTHER)).json()
    assert body["score"] is None
    assert body["band"] is None
    assert body["na_reason"].startswith("fewer than 6 months")
    assert body["reasons"] == []


def test_no_score_is_404(world: World) -> None:
    response = world.get("score", world.login("+86 137 0000 0000"))
    assert response.status_code == 404
    assert world.get("privileges", world.login("+86 137 0000 0000")).status_code == 404


def test_my_history_is_oldest_first_with_what_moved(world: World) -> None:
    months = world.get("history", world.login()).json()["months"]
    assert [(m["score"], m["change"]) for m in months] == [(628, None), (640, 12)]
    assert months[0]["movers"] == []
    assert months[1]["movers"][0]["characteristic"] == "hist_utilisation"
    assert months[1]["movers"][0]["points"] == -6.3
    assert months[1]["same_model"] is True


def test_my_privileges_held_and_within_reach(world: World) -> None:
    body = world.get("privileges", world.login()).json()
    held = {p["key"]: p for p in body["held"]}
    assert set(held) == {"credit_library", "deposit_free_power_bank"}
    assert held["credit_library"]["benefit"] == "Borrow library books without a deposit"
    reach = {p["key"]: p for p in body["within_reach"]}
    bike = reach["deposit_free_bike"]
    assert bike["name"] == "Deposit-free bike sharing"
    assert [g["shortfall"] for g in bike["missing"]] == ["10 points short"]


def test_i_grant_and_withdraw_collection_consents(world: World) -> None:
    world.home.sources.add("bank", ["history", "capacity"], reliability=0.9)
    headers = world.login()
    changes = [
        {"category": "history", "action": "grant"},
        {"category": "capacity", "source": "bank", "action": "withdraw"},
    ]
    response = world.client.put("/v1/me/consents", headers=headers, json={"changes": changes})
    assert response.status_code == 200
    got = {(c["category"], c["source"], c["granted"]) for c in response.json()["consents"]}
    assert got == {("history", "*", True), ("capacity", "bank", False)}
    assert world.get("consents", headers).json() == response.json()
    actions = [e.action for e in world.home.audit.for_subject(world.subject)]
    assert actions[:2] == ["consent.withdrawn", "consent.granted"]


@pytest.mark.parametrize(
    "changes",
    [
        [],
        [{"category": "religion", "action": "grant"}],
        [{"category": "history", "action": "maybe"}],
        [{"category": "history", "action": "grant", "source": "Bad Source!"}],
        [{"category": "history", "action": "grant", "source": "nowhere"}],
    ],
)
def test_bad_consent_changes_are_422(world: World, changes: list[dict[str, str]]) -> None:
    response = world.client.put("/v1/me/consents", headers=world.login(), json={"changes": changes})
    assert response.status_code == 422
    assert world.home.consents.show(PERSON) == []


def test_i_see_a_request_and_approve_it(world: World) -> None:
    pending = world.home.grants.request(world.acme, PERSON, purpose="rental", scope="band")
    headers = world.login()
    (shown,) = world.get("grants", headers).json()["grants"]
    assert shown["id"] == pending.id
    assert (shown["partner"], shown["purpose"], shown["scope"]) == ("acme", "rental", "band")
    assert (shown["status"], shown["frozen"]) == ("pending", False)
    approved = world.act(pending.id, "approve", headers)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["expires_at"] == "2026-12-01T12:00:00+00:00"
    assert world.act(pending.id, "approve", headers).status_code == 409


def test_i_refuse_a_request(world: World) -> None:
    pending = world.home.grants.request(world.acme, PERSON, purpose="lending")
    refused = world.act(pending.id, "refuse", world.login())
    assert (refused.status_code, refused.json()["status"]) == (200, "refused")


def test_i_revoke_a_grant(world: World) -> None:
    pending = world.home.grants.request(world.acme, PERSON, purpose="lending")
    world.home.grants.approve(world.subject, pending.id)
    revoked = world.act(pending.id, "revoke", world.login())
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")


def test_a_frozen_grant_cannot_be_revoked_and_says_why_until_when(world: World) -> None:
    pending = world.home.grants.request(world.acme, PERSON, purpose="rental")
    world.home.grants.approve(world.subject, pending.id)
    world.home.grants.freeze(world.acme, pending.id, until=NOW + 20 * DAY, reason="bike rental")
    headers = world.login()
    (shown,) = world.get("grants", headers).json()["grants"]
    assert shown["frozen"] is True
    assert (shown["frozen_until"], shown["freeze_reason"]) == (
        "2026-11-21T12:00:00+00:00",
        "bike rental",
    )
    response = world.act(pending.id, "revoke", headers)
    assert response.status_code == 409
    assert "bike rental" in response.json()["detail"]
    assert "2026-11-21 12:00 UTC" in response.json()["detail"]


@pytest.mark.parametrize("action", ["approve", "refuse", "revoke"])
def test_another_persons_grant_is_404_like_a_missing_one(world: World, action: str) -> None:
    theirs = world.home.grants.request(world.acme, OTHER, purpose="lending")
    headers = world.login()
    response = world.act(theirs.id, action, headers)
    missing = world.act(theirs.id + 1000, action, headers)
    assert (response.status_code, missing.status_code) == (404, 404)
    assert response.json()["detail"] == f"no authorization {theirs.id} for this person"
    assert world.get("grants", headers).json() == {"grants": []}
    assert world.home.grants.pending_for(world.home.tokeniser.subject(OTHER))


@pytest.mark.parametrize("grant_id", ["0", "-1", "abc", str(2**31), str(10**30)])
def test_a_grant_id_out_of_range_is_422(world: World, grant_id: str) -> None:
    response = world.client.post(f"/v1/me/grants/{grant_id}/approve", headers=world.login())
    assert response.status_code == 422


def test_the_access_log_shows_a_partners_threshold_query(world: World) -> None:
    pending = world.home.grants.request(world.acme, PERSON, purpose="lending")
    grant = world.home.grants.approve(world.subject, pending.id)
    assert grant.open_id is not None
    assert world.home.disclosures.threshold(world.acme, grant.open_id, 600) == "Y"
    world.home.grants.revoke(world.subject, grant.id)
    with pytest.raises(GrantDeniedError, match="no grant covers"):
        world.home.disclosures.threshold(world.acme, grant.open_id, 600)
    headers = world.login()
    entries = world.get("access-log", headers).json()["entries"]
    assert [(e["partner"], e["scope"], e["denied"], e["reason"]) for e in entries] == [
        ("acme", "threshold", True, "revoked"),
        ("acme", "threshold", False, None),
    ]
    assert entries[1]["authorization"] == grant.id
    assert entries[1]["threshold"] == 600
    assert world.get("access-log", headers, limit=1).json()["entries"] == entries[:1]
    assert world.get("access-log", world.login(OTHER)).json() == {"entries": []}


def test_the_openapi_document_describes_every_people_response(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    mine = {p: ops for p, ops in paths.items() if p.startswith(("/v1/me", "/v1/log"))}
    assert len(mine) == 14
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, ops in mine.items():
        for method, op in ops.items():
            responses = op["responses"]
            assert {"401", "422"} <= set(responses), (method, path)
            assert responses["422"]["content"]["application/json"]["schema"] == error
            assert {"200", "201", "204"} & set(responses), (method, path)
