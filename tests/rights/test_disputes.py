"""Disputes: the pure core (statutory clock, transitions) and the service over a home (only
one's own records, one dispute per record, the clock, sources' answers and tallies, encryption,
the audit chain, the watchlist)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from credo.clock import FixedClock
from credo.errors import ConflictError, InvalidInputError, NotFoundError
from credo.home import Home
from credo.rights.dispute_service import DisputeService
from credo.rights.disputes import Dispute, answer, check_text, due_at, resolve_expired, status_at
from credo.settings import RightsSettings
from credo.storage.tables import disputes

from factories import NOW, OTHER, PERSON, write_jsonl

OPENED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
STATEMENT = "I repaid this loan in full on 2026-03-02; the bank's letter says so."


def negative(event_id: str, who: str = PERSON, type_: str = "default") -> dict[str, Any]:
    payload: dict[str, Any] = {"account_ref": "L9", "amount_minor": 500_000, "currency": "CNY"}
    if type_ == "default":
        payload["days_past_due"] = 120
    return {
        "event_id": event_id,
        "subject": who,
        "type": type_,
        "occurred_at": "2026-09-10T00:00:00Z",
        "payload": payload,
    }


def pending(**changes: Any) -> Dispute:
    values: dict[str, Any] = {
        "id": 1,
        "subject": "s" * 32,
        "source": "bank",
        "event_id": "d1",
        "event_type": "default",
        "occurred_at": OPENED - timedelta(days=50),
        "statement": STATEMENT,
        "jurisdiction": "default",
        "opened_at": OPENED,
        "due_at": OPENED + timedelta(days=30),
        "status": "pending",
    }
    return Dispute(**{**values, **changes})


# --- the pure core ----------------------------------------------------------------------------


def test_the_statutory_period_is_30_days_by_default_and_20_in_cn() -> None:
    rights = RightsSettings()
    assert due_at(OPENED, "default", rights) == OPENED + timedelta(days=30)
    assert due_at(OPENED, "DE", rights) == OPENED + timedelta(days=30)
    assert due_at(OPENED, "CN", rights) == OPENED + timedelta(days=20)
    custom = RightsSettings(dispute_days=45, dispute_days_by_jurisdiction={"CN": 20, "UK": 28})
    assert due_at(OPENED, "UK", custom) == OPENED + timedelta(days=28)
    assert due_at(OPENED, "FR", custom) == OPENED + timedelta(days=45)


def test_a_period_outside_one_day_to_a_year_is_refused() -> None:
    with pytest.raises(ValueError, match="'CN' must be 1-365 days, got 0"):
        RightsSettings(dispute_days_by_jurisdiction={"CN": 0})


def test_a_pending_dispute_is_upheld_exactly_at_its_due_instant() -> None:
    dispute = pending()
    due = dispute.due_at
    assert status_at("pending", due, due - TICK) == "pending"
    assert dispute.status_at(due - TICK) == "pending"
    assert dispute.seconds_left(due - timedelta(days=1)) == 86_400
    assert dispute.status_at(due) == "upheld"
    assert dispute.seconds_left(due) == 0
    resolved = dispute.at(due + timedelta(days=3))
    assert (resolved.status, resolved.resolved_by, resolved.resolved_at) == ("upheld", "clock", due)
    assert status_at("rejected", due, due + timedelta(days=1)) == "rejected"


def test_resolve_expired_takes_exactly_the_pending_disputes_past_due() -> None:
    early = pending(id=1, due_at=OPENED + timedelta(days=20))
    on_time = pending(id=2, due_at=OPENED + timedelta(days=30))
    answered = pending(id=3, status="rejected", resolved_by="source", resolved_at=OPENED)
    now = OPENED + timedelta(days=30)
    assert [d.id for d in resolve_expired([on_time, answered], now - TICK)] == []
    resolved = resolve_expired([on_time, answered, early], now)
    assert [(d.id, d.status, d.resolved_by) for d in resolved] == [
        (1, "upheld", "clock"),
        (2, "upheld", "clock"),
    ]


def test_a_source_answer_decides_a_pending_dispute_once() -> None:
    now = OPENED + timedelta(days=5)
    upheld = answer(pending(), "upheld", "  Our file was wrong.  ", now)
    assert (upheld.status, upheld.resolved_by, upheld.resolved_at) == ("upheld", "source", now)
    assert upheld.evidence == "Our file was wrong."
    assert answer(pending(), "rejected", "Signed contract 2025-031.", now).status == "rejected"
    with pytest.raises(ConflictError, match="already upheld by the source"):
        answer(upheld, "rejected", "Changed our mind.", now)


def test_an_answer_after_the_period_is_too_late() -> None:
    dispute = pending()
    with pytest.raises(ConflictError, match="upheld by the clock"):
        answer(dispute, "rejected", "Signed contract.", dispute.due_at)


def test_an_answer_says_upheld_or_rejected_with_evidence() -> None:
    with pytest.raises(InvalidInputError, match=r"'upheld' .* or 'rejected'.*got 'denied'"):
        answer(pending(), "denied", "No.", OPENED)
    with pytest.raises(InvalidInputError, match="evidence holds 1 to 2000 characters; got 0"):
        answer(pending(), "rejected", "   ", OPENED)


def test_texts_are_bounded_and_free_of_control_characters() -> None:
    assert check_text("line one\nline two\tend", "statement") == "line one\nline two\tend"
    with pytest.raises(InvalidInputError, match="got 2001"):
        check_text("x" * 2001, "statement")
    with pytest.raises(InvalidInputError, match="control characters"):
        check_text("bell\x07", "statement")


# --- the service ------------------------------------------------------------------------------


@pytest.fixture
def world(ready: Home, tmp_path: Path) -> Home:
    """``ready`` with a default and a collection of PERSON and a default of OTHER from bank."""
    records = [negative("d1"), negative("c1", type_="collection"), negative("d2", OTHER)]
    ready.ingestor().ingest([str(write_jsonl(tmp_path / "neg.jsonl", records))], source="bank")
    return ready


def clock_of(home: Home) -> FixedClock:
    assert isinstance(home.clock, FixedClock)
    return home.clock


def test_a_person_disputes_their_own_record_and_it_is_excluded_at_once(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    assert world.disputes.excluded() == set()
    dispute = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    assert (dispute.status, dispute.event_type, dispute.statement) == (
        "pending",
        "default",
        STATEMENT,
    )
    assert dispute.opened_at == NOW
    assert dispute.due_at == NOW + timedelta(days=30)
    assert world.disputes.excluded() == {("bank", "d1")}
    assert [d.id for d in world.disputes.for_subject(subject)] == [dispute.id]


def test_another_persons_record_is_answered_like_a_missing_one(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    with pytest.raises(NotFoundError, match="no event 'd2' from source 'bank'"):
        world.disputes.open(subject, source="bank", event_id="d2", statement=STATEMENT)
    with pytest.raises(NotFoundError, match="no event 'nope' from source 'bank'"):
        world.disputes.open(subject, source="bank", event_id="nope", statement=STATEMENT)
    assert world.disputes.excluded() == set()


def test_a_record_is_disputed_once(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    first = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    world.disputes.answer("bank", first.id, outcome="rejected", evidence="Contract 2025-031.")
    with pytest.raises(ConflictError, match=f"disputed already \\(dispute {first.id}\\)"):
        world.disputes.open(subject, source="bank", event_id="d1", statement="Again.")


def test_the_clock_resolves_in_the_persons_favour_at_30_days_not_before(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    dispute = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    clock = clock_of(world)
    clock.set(NOW + timedelta(days=30) - TICK)
    assert world.disputes.resolve_expired() == []
    assert world.disputes.for_source("bank")[0].id == dispute.id
    clock.set(NOW + timedelta(days=30))
    (resolved,) = world.disputes.resolve_expired()
    assert (resolved.id, resolved.status, resolved.resolved_by) == (dispute.id, "upheld", "clock")
    assert resolved.resolved_at == NOW + timedelta(days=30)
    assert world.disputes.resolve_expired() == []  # recorded once
    assert world.disputes.for_source("bank") == []
    assert world.disputes.excluded() == {("bank", "d1")}
    assert world.sources.get("bank").disputes_upheld == 1
    entry = world.audit.for_subject(subject)[0]
    assert (entry.actor, entry.action, entry.detail["resolved_by"]) == (
        "system",
        "dispute.resolved",
        "clock",
    )


def test_in_cn_the_clock_resolves_at_20_days(world: Home) -> None:
    settings = world.settings.model_copy(update={"rights": RightsSettings(jurisdiction="CN")})
    cn = Home(settings, clock=FixedClock(NOW))
    subject = cn.tokeniser.subject(PERSON)
    dispute = cn.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    assert (dispute.jurisdiction, dispute.due_at) == ("CN", NOW + timedelta(days=20))
    clock_of(cn).set(NOW + timedelta(days=20) - TICK)
    assert cn.disputes.resolve_expired() == []
    clock_of(cn).set(NOW + timedelta(days=20))
    assert [d.id for d in cn.disputes.resolve_expired()] == [dispute.id]
    cn.dispose()


def test_a_resolution_calls_for_a_rescore_of_the_person(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    calls: list[tuple[list[str], str]] = []
    service = DisputeService(
        world.engine,
        world.audit,
        world.clock,
        world.settings.rights,
        lake=world.lake,
        vault=world.vault,
        sources=world.sources,
        on_resolved=lambda people, why: calls.append((list(people), why)),
    )
    first = service.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    service.open(subject, source="bank", event_id="c1", statement=STATEMENT)
    assert calls == []  # opening changes no score until the next scoring
    service.answer("bank", first.id, outcome="upheld", evidence="Our error.")
    clock_of(world).set(NOW + timedelta(days=31))
    service.resolve_expired()
    assert service.resolve_expired(rescore=False) == []
    assert calls == [
        ([subject], f"dispute {first.id} answered by the source"),
        ([subject], "dispute clock"),
    ]


def test_the_source_answers_only_its_own_disputes_and_outcomes_are_counted(
    world: Home,
) -> None:
    world.sources.add("shop", ["history"])
    subject = world.tokeniser.subject(PERSON)
    first = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    second = world.disputes.open(subject, source="bank", event_id="c1", statement=STATEMENT)
    assert world.disputes.for_source("shop") == []
    with pytest.raises(NotFoundError, match=f"no dispute {first.id} of source 'shop'"):
        world.disputes.answer("shop", first.id, outcome="upheld", evidence="Not ours.")
    world.disputes.answer("bank", first.id, outcome="upheld", evidence="Our error.")
    world.disputes.answer("bank", second.id, outcome="rejected", evidence="Contract 2025-031.")
    bank = world.sources.get("bank")
    assert (bank.disputes_upheld, bank.disputes_rejected) == (1, 1)
    shop = world.sources.get("shop")
    assert (shop.disputes_upheld, shop.disputes_rejected) == (0, 0)
    assert world.disputes.excluded() == {("bank", "d1")}  # the rejected record counts again
    mine = {d.event_id: d for d in world.disputes.for_subject(subject)}
    assert mine["c1"].evidence == "Contract 2025-031."


def test_statements_and_evidence_are_encrypted_and_kept_out_of_the_audit_chain(
    world: Home,
) -> None:
    subject = world.tokeniser.subject(PERSON)
    dispute = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    world.disputes.answer("bank", dispute.id, outcome="rejected", evidence="Contract 2025-031.")
    with world.engine.connect() as conn:
        statement, evidence = conn.execute(select(disputes.c.statement, disputes.c.evidence)).one()
    assert b"repaid" not in statement
    assert b"2025-031" not in evidence
    entries = world.audit.for_subject(subject)
    assert [e.action for e in entries] == ["dispute.answered", "dispute.opened"]
    assert entries[0].actor == "partner:bank"
    for entry in entries:
        assert "repaid" not in str(entry.detail)
        assert "2025-031" not in str(entry.detail)
        assert "d1" not in str(entry.detail)


def test_the_watchlist_shows_disputes_and_drops_records_found_wrong(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    dispute = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    by_type = {r.type: r.dispute_status for r in world.watchlist.records(subject)}
    assert by_type == {"default": "pending", "collection": "none"}
    clock_of(world).set(dispute.due_at)  # the source did not answer: upheld, the record goes
    by_type = {r.type: r.dispute_status for r in world.watchlist.records(subject)}
    assert by_type == {"collection": "none"}


def test_erasure_removes_a_persons_disputes_but_not_the_tally(world: Home) -> None:
    subject = world.tokeniser.subject(PERSON)
    dispute = world.disputes.open(subject, source="bank", event_id="d1", statement=STATEMENT)
    world.disputes.answer("bank", dispute.id, outcome="upheld", evidence="Our error.")
    assert world.disputes.erase(subject) == 1
    assert world.disputes.for_subject(subject) == []
    assert world.sources.get("bank").disputes_upheld == 1
