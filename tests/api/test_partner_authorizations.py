"""Partner authorizations over HTTP (request, status, freeze) and the watchlist query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.clock import FixedClock
from credo.consent.collection import ConsentChange
from credo.consent.partners import Partner
from credo.errors import ConflictError
from credo.events.schemas import CATEGORIES
from credo.home import Home

from factories import NOW, OTHER, PERSON, event


@dataclass
class World:
    client: TestClient
    home: Home
    partner: Partner
    key: str
    subject: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def ask(self, **body: Any) -> Any:
        payload = {"identifier": PERSON, "purpose": "lending", **body}
        return self.client.post("/v1/partner/authorizations", json=payload, headers=self.headers())

    def approved(self, scope: str = "threshold", duration_days: int = 30) -> dict[str, Any]:
        asked = self.ask(scope=scope, duration_days=duration_days)
        assert asked.status_code == 201
        self.home.grants.approve(self.subject, asked.json()["id"])
        return self.client.get(  # type: ignore[no-any-return]
            f"/v1/partner/authorizations/{asked.json()['id']}", headers=self.headers()
        ).json()


@pytest.fixture
def world(api_home: Home) -> Iterator[World]:
    partner, key = api_home.partners.add("acme", ["lending", "rental"])
    with TestClient(create_app(api_home)) as client:
        yield World(client, api_home, partner, key, api_home.tokeniser.subject(PERSON))


# --- authorizations ---------------------------------------------------------------------------


def test_a_request_is_pending_until_the_person_approves_it(world: World) -> None:
    asked = world.ask(scope="band", duration_days=90)
    assert asked.status_code == 201
    body = asked.json()
    assert (body["status"], body["scope"], body["purpose"]) == ("pending", "band", "lending")
    assert body["open_id"] is None
    assert world.subject not in asked.text


def test_after_approval_the_partner_sees_the_open_id(world: World) -> None:
    asked = world.ask().json()
    grant = world.home.grants.approve(world.subject, asked["id"])
    seen = world.client.get(f"/v1/partner/authorizations/{asked['id']}", headers=world.headers())
    assert seen.status_code == 200
    body = seen.json()
    assert body["status"] == "approved"
    assert body["open_id"] == grant.open_id
    assert body["expires_at"] == (NOW + timedelta(days=30)).isoformat()
    assert body["frozen_until"] is None
    assert world.subject not in seen.text


def test_asking_again_while_pending_returns_the_same_request(world: World) -> None:
    assert world.ask().json()["id"] == world.ask().json()["id"]


def test_another_partners_authorization_is_not_found(world: World) -> None:
    asked = world.ask().json()
    world.home.grants.approve(world.subject, asked["id"])
    _other, other_key = world.home.partners.add("bikes", ["rental"])
    url = f"/v1/partner/authorizations/{asked['id']}"
    seen = world.client.get(url, headers=world.headers(other_key))
    assert seen.status_code == 404
    assert seen.json()["error"] == "not_found"
    frozen = world.client.post(
        f"{url}/freeze",
        json={"until": (NOW + timedelta(days=5)).isoformat(), "reason": "contract"},
        headers=world.headers(other_key),
    )
    assert frozen.status_code == 404
    missing = world.client.get("/v1/partner/authorizations/999", headers=world.headers())
    assert missing.json()["detail"] == seen.json()["detail"].replace(str(asked["id"]), "999")


def test_an_unknown_purpose_is_422(world: World) -> None:
    response = world.ask(purpose="dating")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert "purpose" in response.json()["detail"]


def test_a_purpose_the_partner_is_not_registered_for_is_refused(world: World) -> None:
    response = world.ask(purpose="housing")
    assert response.status_code == 403
    assert response.json()["detail"] == "no authorization covers this request"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scope", "everything"),
        ("duration_days", 0),
        ("duration_days", 366),
        ("identifier", "no"),
        ("identifier", "?!?!?!"),
    ],
)
def test_a_bad_request_field_is_422(world: World, field: str, value: object) -> None:
    response = world.ask(**{field: value})
    assert response.status_code == 422
    assert PERSON not in response.text


def test_a_request_without_a_key_is_401(world: World) -> None:
    response = world.client.post(
        "/v1/partner/authorizations", json={"identifier": PERSON, "purpose": "lending"}
    )
    assert response.status_code == 401


# --- freeze -----------------------------------------------------------------------------------


def freeze(world: World, grant_id: int, until: Any, reason: str = "bike rental 2026-031") -> Any:
    return world.client.post(
        f"/v1/partner/authorizations/{grant_id}/freeze",
        json={"until": until if isinstance(until, str) else until.isoformat(), "reason": reason},
        headers=world.headers(),
    )


def test_a_frozen_grant_cannot_be_revoked_until_the_freeze_ends(world: World) -> None:
    grant = world.approved()
    until = NOW + timedelta(days=10)
    frozen = freeze(world, grant["id"], until)
    assert frozen.status_code == 200
    assert frozen.json()["frozen_until"] == until.isoformat()
    with pytest.raises(ConflictError, match="frozen by acme until"):
        world.home.grants.revoke(world.subject, grant["id"])
    clock = world.home.clock
    assert isinstance(clock, FixedClock)
    clock.set(until - timedelta(seconds=1))
    with pytest.raises(ConflictError, match="frozen"):
        world.home.grants.revoke(world.subject, grant["id"])
    clock.set(until)
    assert world.home.grants.revoke(world.subject, grant["id"]).status == "revoked"


def test_only_an_approved_grant_can_be_frozen(world: World) -> None:
    pending = world.ask().json()
    response = freeze(world, pending["id"], NOW + timedelta(days=1))
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


@pytest.mark.parametrize(
    "until",
    [
        (NOW + timedelta(days=31)).isoformat(),  # after the grant's expiry
        (NOW - timedelta(days=1)).isoformat(),  # in the past
        "2026-11-20T00:00:00",  # no offset
        "9999-12-31T23:59:59-05:00",  # beyond the years UTC can hold
        "tomorrow",
    ],
)
def test_a_freeze_outside_the_grant_is_422(world: World, until: str) -> None:
    grant = world.approved()
    assert freeze(world, grant["id"], until).status_code == 422


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, "line\nbreak", "nul\x00"])
def test_a_freeze_needs_a_short_printable_reason(world: World, reason: str) -> None:
    grant = world.approved()
    assert freeze(world, grant["id"], NOW + timedelta(days=1), reason).status_code == 422


# --- watchlist --------------------------------------------------------------------------------


def negative(
    event_id: str, type_: str, *, amount: int, day: str, **envelope: Any
) -> dict[str, Any]:
    """A ``default`` or ``collection`` event of PERSON (unless ``subject`` says otherwise)."""
    record = event(event_id, "repayment", occurred_at=f"{day}T08:00:00Z", **envelope)
    record["type"] = type_
    record["payload"] = {"account_ref": "L-1", "amount_minor": amount, "currency": "CNY"}
    if type_ == "default":
        record["payload"]["days_past_due"] = 95
    return record


@pytest.fixture
def records(world: World) -> World:
    """PERSON has a default (corrected once), a collection and a repayment; OTHER a default."""
    home = world.home
    home.sources.add("bank", CATEGORIES, reliability=0.9)
    home.consents.record(
        ConsentChange(identifier=who, category=c, action="grant", at=NOW)
        for c in CATEGORIES
        for who in (PERSON, OTHER)
    )
    report = home.ingestor().ingest_records(
        [
            negative("d1", "default", amount=120_000, day="2026-03-02"),
            negative("d2", "default", amount=999, day="2026-05-10"),
            negative("d2-fix", "default", amount=99_900, day="2026-05-10", supersedes="d2"),
            negative("c1", "collection", amount=80_000, day="2026-08-15"),
            event("r1", "repayment"),
            negative("o1", "default", amount=55_500, day="2026-04-01", subject=OTHER),
        ],
        source="bank",
    )
    assert report.accepted == 6
    return world


def watchlist(world: World, open_id: str) -> Any:
    return world.client.get(f"/v1/partner/subjects/{open_id}/watchlist", headers=world.headers())


def test_the_watchlist_lists_exactly_the_persons_negative_records(records: World) -> None:
    grant = records.approved(scope="watchlist")
    response = watchlist(records, grant["open_id"])
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == NOW.isoformat()
    assert body["records"] == [
        {
            "occurred_on": "2026-08-15",
            "type": "collection",
            "amount_minor": 80_000,
            "currency": "CNY",
            "source": "bank",
            "dispute_status": "none",
        },
        {
            "occurred_on": "2026-05-10",
            "type": "default",
            "amount_minor": 99_900,
            "currency": "CNY",
            "source": "bank",
            "dispute_status": "none",
        },
        {
            "occurred_on": "2026-03-02",
            "type": "default",
            "amount_minor": 120_000,
            "currency": "CNY",
            "source": "bank",
            "dispute_status": "none",
        },
    ]
    entries = records.home.audit.for_subject(records.subject)
    assert entries[0].action == "disclosure.watchlist"


def test_a_person_without_negative_records_has_an_empty_watchlist(records: World) -> None:
    pending = records.ask(identifier="+86 139 0000 0001", scope="watchlist").json()
    grant = records.home.grants.approve(
        records.home.tokeniser.subject("+86 139 0000 0001"), pending["id"]
    )
    assert grant.open_id is not None
    assert watchlist(records, grant.open_id).json()["records"] == []


def test_score_reasons_does_not_cover_the_watchlist(records: World) -> None:
    grant = records.approved(scope="score_reasons")
    response = watchlist(records, grant["open_id"])
    assert response.status_code == 403
    assert response.json()["detail"] == "no authorization covers this request"
    assert "120000" not in response.text
    denied = records.home.audit.for_subject(records.subject)[0]
    assert (denied.action, denied.detail["scope"]) == ("disclosure.denied", "watchlist")


def test_the_watchlist_scope_covers_nothing_else(records: World) -> None:
    grant = records.approved(scope="watchlist")
    response = records.client.get(
        f"/v1/partner/subjects/{grant['open_id']}/threshold",
        params={"min": 600},
        headers=records.headers(),
    )
    assert response.status_code == 403


def test_another_partner_cannot_read_the_watchlist(records: World) -> None:
    grant = records.approved(scope="watchlist")
    _other, other_key = records.home.partners.add("bikes", ["rental"])
    response = records.client.get(
        f"/v1/partner/subjects/{grant['open_id']}/watchlist", headers=records.headers(other_key)
    )
    assert response.status_code == 403
