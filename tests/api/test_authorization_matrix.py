"""Every way a disclosure should be refused, over HTTP, on SQLite and PostgreSQL: each is
denied with the right status and one error body that tells the caller nothing it may not know
(no score, no band, no subject token, no identifier, no reason the grant failed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.clock import FixedClock
from credo.consent.partners import Partner
from credo.errors import ConflictError
from credo.home import Home

from factories import NOW, OTHER, PERSON

SCORE = 687  # "good"; the answer bodies below must never carry it


@dataclass
class World:
    home: Home
    client: TestClient
    acme: Partner
    acme_key: str
    bikes: Partner
    bikes_key: str
    subject: str

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.home.clock, FixedClock)
        return self.home.clock

    def grant(
        self, scope: str = "threshold", *, partner: Partner | None = None, days: int = 30
    ) -> tuple[int, str]:
        """An approved grant of PERSON to ``partner`` (acme): its id and open_id."""
        pending = self.home.grants.request(
            partner or self.acme, PERSON, purpose="lending", scope=scope, duration_days=days
        )
        grant = self.home.grants.approve(self.subject, pending.id)
        assert grant.open_id is not None
        return grant.id, grant.open_id

    def ask(self, open_id: str, what: str = "threshold", key: str | None = None) -> object:
        url = f"/v1/partner/subjects/{open_id}/{what}"
        params = {"min": 600} if what == "threshold" else {}
        headers = {} if key == "" else {"Authorization": f"Bearer {key or self.acme_key}"}
        return self.client.get(url, params=params, headers=headers)


@pytest.fixture
def world(api_home: Home) -> Iterator[World]:
    home = api_home
    subject = home.tokeniser.subject(PERSON)
    run = home.snapshots.begin(as_of=NOW, model_id=None, engine="duckdb", started_at=NOW)
    home.snapshots.write(
        run, [{"subject": subject, "score": SCORE, "band": "very_good", "percentile": 81.5}]
    )
    home.snapshots.publish(run, summary={}, finished_at=NOW)
    acme, acme_key = home.partners.add("acme", ["lending"])
    bikes, bikes_key = home.partners.add("bikes", ["lending", "rental"])
    with TestClient(create_app(home)) as client:
        yield World(home, client, acme, acme_key, bikes, bikes_key, subject)


def assert_denied(response: object, status: int, world: World) -> None:
    """``status`` with the one error body, and nothing about the person in it."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "detail", "request_id"}
    # the request id is random hex: it may hold any digits, so it is left out of the scan
    text = " ".join((body["error"], body["detail"]))
    for secret in (str(SCORE), "very_good", "81.5", world.subject, PERSON):
        assert secret not in text
    if status == 403:  # every refusal alike, whatever its reason
        assert (body["error"], body["detail"]) == (
            "not_authorized",
            "no authorization covers this request",
        )


def no_grant(world: World) -> object:
    return world.ask("ab" * 16)


def expired(world: World) -> object:
    _id, open_id = world.grant(days=30)
    assert world.ask(open_id).status_code == 200  # type: ignore[attr-defined]
    world.clock.set(NOW + timedelta(days=31))
    return world.ask(open_id)


def revoked(world: World) -> object:
    grant_id, open_id = world.grant()
    world.home.grants.revoke(world.subject, grant_id)
    return world.ask(open_id)


def frozen_then_ended(world: World) -> object:
    grant_id, open_id = world.grant(days=90)
    world.home.grants.freeze(world.acme, grant_id, until=NOW + timedelta(days=10), reason="loan")
    with pytest.raises(ConflictError, match="frozen"):
        world.home.grants.revoke(world.subject, grant_id)
    assert world.ask(open_id).status_code == 200  # type: ignore[attr-defined]
    world.clock.set(NOW + timedelta(days=11))
    world.home.grants.revoke(world.subject, grant_id)
    return world.ask(open_id)


def another_partners_open_id(world: World) -> object:
    _id, open_id = world.grant(partner=world.bikes)
    return world.ask(open_id)  # asked with acme's key


def own_open_id_other_partners_key(world: World) -> object:
    _id, open_id = world.grant()
    return world.ask(open_id, key=world.bikes_key)


def scope_below_the_one_asked(world: World) -> object:
    _id, open_id = world.grant("band")
    assert world.ask(open_id, "band").status_code == 200  # type: ignore[attr-defined]
    return world.ask(open_id, "score")


def reasons_do_not_cover_the_watchlist(world: World) -> object:
    _id, open_id = world.grant("score_reasons")
    return world.ask(open_id, "watchlist")


def forged_key(world: World) -> object:
    _id, open_id = world.grant()
    forged = world.acme_key[:-4] + ("AAAA" if not world.acme_key.endswith("AAAA") else "BBBB")
    return world.ask(open_id, key=forged)


def missing_key(world: World) -> object:
    _id, open_id = world.grant()
    return world.ask(open_id, key="")


def disabled_partner(world: World) -> object:
    _id, open_id = world.grant()
    world.home.partners.disable("acme")
    return world.ask(open_id)


CASES: dict[str, tuple[Callable[[World], object], int]] = {
    "no grant": (no_grant, 403),
    "expired": (expired, 403),
    "revoked": (revoked, 403),
    "frozen, then revoked once the freeze ended": (frozen_then_ended, 403),
    "another partner's open_id": (another_partners_open_id, 403),
    "an open_id asked with another partner's key": (own_open_id_other_partners_key, 403),
    "a scope below the one asked": (scope_below_the_one_asked, 403),
    "score_reasons does not cover the watchlist": (reasons_do_not_cover_the_watchlist, 403),
    "a forged key": (forged_key, 401),
    "a missing key": (missing_key, 401),
    "a disabled partner's key": (disabled_partner, 401),
}


@pytest.mark.parametrize("case", CASES)
def test_denied(world: World, case: str) -> None:
    make, status = CASES[case]
    assert_denied(make(world), status, world)


@pytest.mark.parametrize("case", [c for c, (_, s) in CASES.items() if s == 403])
def test_every_refusal_is_in_the_audit_chain(world: World, case: str) -> None:
    make, _status = CASES[case]
    before = world.home.audit.count()
    make(world)
    denied = [e for e in world.home.audit.entries(start=before + 1) if e.action.endswith("denied")]
    assert denied, "a refused disclosure left no audit entry"
    assert world.home.audit.verify().ok


def test_the_threshold_answer_is_only_yes_or_no(world: World) -> None:
    _id, open_id = world.grant()
    response = world.ask(open_id)
    assert response.json() == {"admitted": "Y"}  # type: ignore[attr-defined]
    assert OTHER not in response.text  # type: ignore[attr-defined]


def numbers(value: object) -> list[object]:
    """Every number in a JSON document."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def login(world: World, identifier: str) -> dict[str, str]:
    world.home.people.set_password(identifier, "correct horse battery")
    token = world.client.post(
        "/v1/login", json={"identifier": identifier, "password": "correct horse battery"}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("action", ["approve", "refuse", "revoke"])
def test_a_person_cannot_act_on_another_persons_grant(world: World, action: str) -> None:
    pending = world.home.grants.request(world.acme, PERSON, purpose="lending")
    if action == "revoke":
        world.home.grants.approve(world.subject, pending.id)
    other = login(world, OTHER)
    response = world.client.post(f"/v1/me/grants/{pending.id}/{action}", headers=other)
    assert_denied(response, 404, world)
    missing = world.client.post("/v1/me/grants/999999/approve", headers=other)
    assert response.json()["detail"].replace(str(pending.id), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")
    assert world.home.grants.grants_for(world.subject)[0].status_at(NOW) == (
        "approved" if action == "revoke" else "pending"
    )


def test_a_person_sees_only_their_own_data(world: World) -> None:
    world.grant()
    other = login(world, OTHER)
    for path in ("/v1/me/grants", "/v1/me/access-log", "/v1/me/history"):
        response = world.client.get(path, headers=other)
        assert response.status_code == 200, response.text
        assert "acme" not in response.text
        assert SCORE not in numbers(response.json())
    assert world.client.get("/v1/me/score", headers=other).status_code == 404
    mine = world.client.get("/v1/me/score", headers=login(world, PERSON))
    assert mine.json()["score"] == SCORE


def test_a_person_without_a_session_is_401(world: World) -> None:
    for token in ("", "Bearer nonsense", "Bearer " + "x" * 43):
        response = world.client.get("/v1/me/score", headers={"Authorization": token})
        assert_denied(response, 401, world)
