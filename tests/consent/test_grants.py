"""Grants: the pure decision (default deny) and the authorization matrix at the service level."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from credo.clock import FixedClock
from credo.consent import pseudonyms
from credo.consent.grants import (
    PENDING_DAYS,
    Grant,
    GrantDeniedError,
    covers,
    decide,
)
from credo.consent.partners import Partner
from credo.errors import (
    AuthenticationError,
    ConflictError,
    ConsentDeniedError,
    InvalidInputError,
    NotFoundError,
)
from credo.home import Home

from factories import NOW, OTHER, PERSON, make_home

DAY = timedelta(days=1)
GRANT = Grant(
    id=1,
    partner_id=7,
    partner="acme",
    subject="s" * 32,
    purpose="lending",
    scope="score",
    status="approved",
    duration_days=30,
    requested_at=NOW - DAY,
    decided_at=NOW - DAY,
    expires_at=NOW + 29 * DAY,
    open_id="o" * 32,
)


def clock_of(home: Home) -> FixedClock:
    assert isinstance(home.clock, FixedClock)
    return home.clock


# --- the pure decision -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "needed", "expected"),
    [
        ("threshold", "threshold", True),
        ("band", "threshold", True),
        ("score", "band", True),
        ("score_reasons", "score", True),
        ("threshold", "band", False),
        ("band", "score", False),
        ("score", "score_reasons", False),
        ("score_reasons", "watchlist", False),
        ("watchlist", "threshold", False),
        ("watchlist", "watchlist", True),
        ("score", "everything", False),
        ("admin", "threshold", False),
    ],
)
def test_scope_ladder(granted: str, needed: str, expected: bool) -> None:
    assert covers(granted, needed) is expected


@pytest.mark.parametrize(
    ("grant", "partner_id", "scope", "now", "reason"),
    [
        (None, 7, "threshold", NOW, "no_grant"),
        (GRANT, 8, "threshold", NOW, "other_partner"),
        (replace(GRANT, status="pending", expires_at=None), 7, "threshold", NOW, "pending"),
        (replace(GRANT, status="refused"), 7, "threshold", NOW, "refused"),
        (replace(GRANT, status="revoked"), 7, "threshold", NOW, "revoked"),
        (GRANT, 7, "threshold", NOW + 29 * DAY, "expired"),
        (replace(GRANT, expires_at=None), 7, "threshold", NOW, "expired"),
        (replace(GRANT, status="hacked"), 7, "threshold", NOW, "revoked"),
        (GRANT, 7, "score_reasons", NOW, "scope"),
        (GRANT, 7, "watchlist", NOW, "scope"),
        (GRANT, 7, "band", NOW, "ok"),
    ],
)
def test_decision_table(
    grant: Grant | None, partner_id: int, scope: str, now: datetime, reason: str
) -> None:
    decision = decide(grant, partner_id=partner_id, scope_needed=scope, now=now)
    assert (decision.allowed, decision.reason) == (reason == "ok", reason)


def test_another_partners_grant_reveals_nothing_of_its_state() -> None:
    revoked = replace(GRANT, status="revoked")
    assert decide(revoked, partner_id=8, scope_needed="band", now=NOW).reason == "other_partner"


def test_a_grant_is_valid_until_just_before_it_expires() -> None:
    assert decide(GRANT, partner_id=7, scope_needed="score", now=NOW + 29 * DAY - timedelta(1))


# --- the service -------------------------------------------------------------------------------


@dataclass
class World:
    home: Home
    acme: Partner
    bikes: Partner
    subject: str

    def ask(self, scope: str = "threshold", days: int = 30, partner: Partner | None = None) -> int:
        grant = self.home.grants.request(
            partner or self.acme, PERSON, purpose="lending", scope=scope, duration_days=days
        )
        return grant.id

    def granted(self, scope: str = "threshold", days: int = 30) -> Grant:
        return self.home.grants.approve(self.subject, self.ask(scope, days))

    def reason(self, partner: Partner, open_id: str, scope: str = "threshold") -> str:
        with pytest.raises(GrantDeniedError) as caught:
            self.home.disclosures.authorize(partner, open_id, scope)
        return caught.value.reason


@pytest.fixture
def world(home: Home) -> World:
    acme, _ = home.partners.add("acme", ["lending", "rental"])
    bikes, _ = home.partners.add("bikes", ["lending", "rental"])
    return World(home, acme, bikes, home.tokeniser.subject(PERSON))


def test_an_approved_grant_allows_its_scope(world: World) -> None:
    grant = world.granted("band")
    assert grant.open_id is not None
    allowed = world.home.disclosures.authorize(world.acme, grant.open_id, "band")
    assert allowed.id == grant.id


def test_no_grant_is_denied(world: World) -> None:
    assert world.reason(world.acme, "0" * 32) == "no_grant"


def test_an_expired_grant_is_denied(world: World) -> None:
    grant = world.granted(days=10)
    assert grant.open_id is not None
    clock_of(world.home).set(NOW + 10 * DAY)
    assert world.reason(world.acme, grant.open_id) == "expired"


def test_a_revoked_grant_is_denied(world: World) -> None:
    grant = world.granted()
    assert grant.open_id is not None
    world.home.grants.revoke(world.subject, grant.id)
    assert world.reason(world.acme, grant.open_id) == "revoked"


def test_another_partners_open_id_is_denied(world: World) -> None:
    grant = world.granted()
    assert grant.open_id is not None
    assert world.reason(world.bikes, grant.open_id) == "other_partner"


def test_a_scope_below_the_one_needed_is_denied(world: World) -> None:
    grant = world.granted("band")
    assert grant.open_id is not None
    assert world.reason(world.acme, grant.open_id, "score") == "scope"


def test_the_watchlist_is_not_implied_by_the_widest_scope(world: World) -> None:
    grant = world.granted("score_reasons")
    assert grant.open_id is not None
    assert world.reason(world.acme, grant.open_id, "watchlist") == "scope"


def test_a_watchlist_grant_does_not_disclose_the_score(world: World) -> None:
    grant = world.granted("watchlist")
    assert grant.open_id is not None
    assert world.reason(world.acme, grant.open_id, "threshold") == "scope"


def test_a_frozen_grant_cannot_be_revoked_and_the_person_sees_why(world: World) -> None:
    grant = world.granted(days=60)
    world.home.grants.freeze(world.acme, grant.id, until=NOW + 20 * DAY, reason="bike rental")
    with pytest.raises(ConflictError, match=r"frozen by acme until 2026-11-21 12:00 UTC \(bike"):
        world.home.grants.revoke(world.subject, grant.id)


def test_a_frozen_grant_can_be_revoked_once_the_freeze_ends(world: World) -> None:
    grant = world.granted(days=60)
    assert grant.open_id is not None
    world.home.grants.freeze(world.acme, grant.id, until=NOW + 20 * DAY, reason="bike rental")
    clock_of(world.home).set(NOW + 20 * DAY)
    world.home.grants.revoke(world.subject, grant.id)
    assert world.reason(world.acme, grant.open_id) == "revoked"


def test_a_frozen_grant_keeps_allowing_while_frozen(world: World) -> None:
    grant = world.granted(days=60)
    assert grant.open_id is not None
    world.home.grants.freeze(world.acme, grant.id, until=NOW + 20 * DAY, reason="bike rental")
    assert world.home.disclosures.authorize(world.acme, grant.open_id, "threshold").id == grant.id


def test_a_freeze_cannot_outlast_the_grant(world: World) -> None:
    grant = world.granted(days=10)
    with pytest.raises(InvalidInputError, match="no later than the grant's expiry"):
        world.home.grants.freeze(world.acme, grant.id, until=NOW + 11 * DAY, reason="rental")


def test_only_an_approved_grant_can_be_frozen(world: World) -> None:
    pending = world.ask()
    with pytest.raises(ConflictError, match="is pending; it must be approved to be frozen"):
        world.home.grants.freeze(world.acme, pending, until=NOW + DAY, reason="rental")


def test_a_partner_cannot_freeze_another_partners_grant(world: World) -> None:
    grant = world.granted()
    with pytest.raises(NotFoundError, match=f"no authorization {grant.id} for this partner"):
        world.home.grants.freeze(world.bikes, grant.id, until=NOW + DAY, reason="rental")


def test_a_person_cannot_approve_another_persons_request(world: World) -> None:
    pending = world.ask()
    other = world.home.tokeniser.subject(OTHER)
    with pytest.raises(NotFoundError, match=f"no authorization {pending} for this person"):
        world.home.grants.approve(other, pending)


def test_a_person_cannot_see_another_persons_grants(world: World) -> None:
    world.ask()
    assert world.home.grants.grants_for(world.home.tokeniser.subject(OTHER)) == []


def test_a_request_for_a_purpose_the_partner_lacks_is_denied(world: World) -> None:
    with pytest.raises(ConsentDeniedError, match="purpose 'housing' is not among partner 'acme'"):
        world.home.grants.request(world.acme, PERSON, purpose="housing")


def test_a_request_for_an_unknown_scope_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError, match="unknown scope 'everything'"):
        world.home.grants.request(world.acme, PERSON, purpose="lending", scope="everything")


def test_a_request_longer_than_a_year_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError, match="between 1 and 365; got 366"):
        world.home.grants.request(world.acme, PERSON, purpose="lending", duration_days=366)


def test_a_disabled_partner_cannot_request(world: World) -> None:
    disabled = world.home.partners.disable("acme")
    with pytest.raises(AuthenticationError, match="'acme' is disabled"):
        world.home.grants.request(disabled, PERSON, purpose="lending")


def test_asking_again_while_pending_returns_the_same_request(world: World) -> None:
    assert world.ask() == world.ask()


def test_a_request_left_unanswered_expires(world: World) -> None:
    pending = world.ask()
    clock_of(world.home).set(NOW + PENDING_DAYS * DAY)
    with pytest.raises(ConflictError, match="is expired; it must be pending to be approved"):
        world.home.grants.approve(world.subject, pending)


def test_the_person_sees_pending_requests(world: World) -> None:
    pending = world.ask()
    world.granted("band")
    assert [g.id for g in world.home.grants.pending_for(world.subject)] == [pending]


def test_a_refused_request_cannot_be_approved_later(world: World) -> None:
    pending = world.ask()
    world.home.grants.refuse(world.subject, pending)
    with pytest.raises(ConflictError, match="is refused; it must be pending to be approved"):
        world.home.grants.approve(world.subject, pending)


def test_a_grant_cannot_be_approved_twice(world: World) -> None:
    grant = world.granted()
    with pytest.raises(ConflictError, match="is approved; it must be pending to be approved"):
        world.home.grants.approve(world.subject, grant.id)


def test_approval_starts_the_duration_and_assigns_the_partners_open_id(world: World) -> None:
    grant = world.granted(days=45)
    assert grant.expires_at == NOW + 45 * DAY
    assert grant.open_id == pseudonyms.open_id(world.home.tokeniser, "acme", world.subject)


def test_the_partner_sees_its_request_without_the_subject(world: World) -> None:
    pending = world.ask()
    view = world.home.grants.status_for_partner(world.acme, pending)
    assert (view.status, view.open_id) == ("pending", None)
    assert not hasattr(view, "subject")


def test_a_partner_cannot_read_another_partners_request(world: World) -> None:
    pending = world.ask()
    with pytest.raises(NotFoundError, match="for this partner"):
        world.home.grants.status_for_partner(world.bikes, pending)


def test_lookup_resolves_an_open_id_to_the_person(world: World) -> None:
    grant = world.granted()
    assert grant.open_id is not None
    assert world.home.grants.lookup(world.acme, grant.open_id) == (world.subject, grant)


def test_lookup_refuses_another_partners_open_id(world: World) -> None:
    grant = world.granted()
    assert grant.open_id is not None
    with pytest.raises(GrantDeniedError, match="'bikes' has no such open_id"):
        world.home.grants.lookup(world.bikes, grant.open_id)


def test_a_new_grant_after_a_revoked_one_allows_again(world: World) -> None:
    first = world.granted()
    world.home.grants.revoke(world.subject, first.id)
    second = world.granted()
    assert second.open_id == first.open_id
    assert second.open_id is not None
    assert world.home.disclosures.authorize(world.acme, second.open_id, "threshold") == second


def test_every_change_is_in_the_persons_access_log(world: World) -> None:
    grant = world.granted(days=60)
    world.home.grants.freeze(world.acme, grant.id, until=NOW + DAY, reason="rental")
    clock_of(world.home).set(NOW + 2 * DAY)
    world.home.grants.revoke(world.subject, grant.id)
    log = world.home.audit.for_subject(world.subject)
    assert [(e.actor, e.action) for e in reversed(log)] == [
        ("partner:acme", "grant.requested"),
        ("person", "grant.approved"),
        ("partner:acme", "grant.frozen"),
        ("person", "grant.revoked"),
    ]
    assert all(e.detail["authorization"] == grant.id for e in log)
    assert world.home.audit.verify().ok


def test_a_denied_query_is_in_the_persons_access_log(world: World) -> None:
    grant = world.granted("band")
    assert grant.open_id is not None
    world.reason(world.acme, grant.open_id, "score")
    last = world.home.audit.for_subject(world.subject)[0]
    assert (last.action, last.detail["reason"]) == ("disclosure.denied", "scope")


@pytest.mark.postgres
def test_the_grant_lifecycle_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    home = make_home(tmp_path, database_url=postgres_url)
    try:
        name = f"pg-{uuid.uuid4().hex[:8]}"  # the database is shared by the session
        partner, key = home.partners.add(name, "lending")
        assert home.partners.authenticate(key) == partner
        subject = home.tokeniser.subject(PERSON)
        pending = home.grants.request(partner, PERSON, purpose="lending", scope="band")
        grant = home.grants.approve(subject, pending.id)
        assert grant.open_id is not None
        assert home.disclosures.authorize(partner, grant.open_id, "band").id == grant.id
        home.grants.freeze(partner, grant.id, until=NOW + DAY, reason="contract")
        clock_of(home).set(NOW + DAY)
        home.grants.revoke(subject, grant.id)
        with pytest.raises(GrantDeniedError, match=r"\(revoked\)"):
            home.disclosures.authorize(partner, grant.open_id, "threshold")
        assert home.audit.verify().ok
    finally:
        home.dispose()
