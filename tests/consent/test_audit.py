"""The audit chain: hashes link every entry to the previous one; tampering is found and named."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select, update

from credo.clock import SystemClock
from credo.consent.audit import GENESIS, AuditLog, canonical
from credo.errors import InvalidInputError
from credo.home import Home
from credo.storage.db import connect, migrate
from credo.storage.tables import audit_log, audit_subjects

from factories import NOW

SUBJECT = "a" * 32
OTHER = "b" * 32


@pytest.fixture
def chain(home: Home) -> AuditLog:
    """Five entries: three about SUBJECT, one about OTHER, one about nobody."""
    for n, subject in enumerate([SUBJECT, OTHER, SUBJECT, None, SUBJECT]):
        home.audit.append(
            "partner:acme", "disclosure.threshold", subject, {"authorization": n, "threshold": 600}
        )
    return home.audit


def _swap(engine: Engine, first: int, second: int) -> None:
    columns = [c for c in audit_log.c if c.name != "id"]
    with engine.begin() as conn:
        rows = {
            row["id"]: {c.name: row[c.name] for c in columns}
            for row in conn.execute(
                select(audit_log).where(audit_log.c.id.in_([first, second]))
            ).mappings()
        }
        conn.execute(update(audit_log).where(audit_log.c.id == first).values(rows[second]))
        conn.execute(update(audit_log).where(audit_log.c.id == second).values(rows[first]))


def test_an_empty_chain_verifies(home: Home) -> None:
    report = home.audit.verify()
    assert (report.ok, report.checked, report.head) == (True, 0, GENESIS)


def test_appended_entries_form_one_chain(chain: AuditLog) -> None:
    report = chain.verify()
    assert (report.ok, report.checked, report.first_bad) == (True, 5, None)


def test_the_first_entry_links_to_genesis(chain: AuditLog, home: Home) -> None:
    first = home.audit.for_subject(SUBJECT)[-1]
    assert (first.id, first.prev_hash) == (1, GENESIS)


def test_each_hash_covers_the_previous_hash_and_the_canonical_entry(home: Home) -> None:
    one = home.audit.append("person", "grant.refused", SUBJECT, {"authorization": 1})
    two = home.audit.append("person", "grant.refused", SUBJECT, {"authorization": 2})
    text = canonical(
        at=NOW,
        actor="person",
        action="grant.refused",
        subject_ref=two.subject_ref,
        detail={"authorization": 2},
    )
    assert two.prev_hash == one.hash
    assert two.hash == hashlib.sha256((one.hash + text).encode()).hexdigest()


def test_the_head_is_the_last_hash(chain: AuditLog, home: Home) -> None:
    assert chain.verify().head == home.audit.for_subject(SUBJECT)[0].hash


def test_an_edited_detail_is_found_as_altered(chain: AuditLog, home: Home) -> None:
    with home.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(detail='{"threshold":1}'))
    report = chain.verify()
    assert (report.ok, report.first_bad, report.problem) == (False, 3, "altered")


def test_an_edited_time_is_found_as_altered(chain: AuditLog, home: Home) -> None:
    with home.engine.begin() as conn:
        later = NOW + timedelta(seconds=1)
        conn.execute(update(audit_log).where(audit_log.c.id == 2).values(at=later))
    report = chain.verify()
    assert (report.first_bad, report.problem) == (2, "altered")


def test_an_edit_with_a_recomputed_hash_is_found_at_the_edited_entry(
    chain: AuditLog, home: Home
) -> None:
    with home.engine.begin() as conn:
        prev = conn.execute(select(audit_log.c.prev_hash).where(audit_log.c.id == 3)).scalar_one()
        text = canonical(at=NOW, actor="person", action="forged", subject_ref=None, detail={})
        forged = hashlib.sha256((prev + text).encode()).hexdigest()
        conn.execute(
            update(audit_log)
            .where(audit_log.c.id == 3)
            .values(actor="person", action="forged", subject=None, detail="{}", hash=forged)
        )
    report = chain.verify()
    assert (report.first_bad, report.problem) == (3, "altered")


def test_a_deleted_entry_is_found_as_removed(chain: AuditLog, home: Home) -> None:
    with home.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == 3))
    report = chain.verify()
    assert (report.ok, report.first_bad, report.problem) == (False, 3, "removed")
    assert report.checked == 2


def test_swapped_entries_are_found_as_reordered(chain: AuditLog, home: Home) -> None:
    _swap(home.engine, 3, 4)
    report = chain.verify()
    assert (report.ok, report.first_bad, report.problem) == (False, 3, "reordered")
    assert report.message == "entry 3 follows entry 4, not entry 2"


def test_the_access_log_holds_only_that_person_newest_first(chain: AuditLog) -> None:
    entries = chain.for_subject(SUBJECT)
    assert [e.id for e in entries] == [5, 3, 1]
    assert {e.subject for e in entries} == {SUBJECT}


def test_personal_fields_are_refused_in_detail(home: Home) -> None:
    with pytest.raises(InvalidInputError, match=r"personal data; got field\(s\) phone"):
        home.audit.append("person", "grant.refused", SUBJECT, {"phone": "+8613800138000"})
    assert home.audit.count() == 0


def test_an_unknown_actor_is_refused(home: Home) -> None:
    with pytest.raises(InvalidInputError, match="audit actor 'root'"):
        home.audit.append("root", "grant.refused", SUBJECT, {})


class FailedChangeError(Exception):
    pass


def _failed_change(audit: AuditLog) -> None:
    with audit.writing() as conn:
        audit.append("person", "grant.refused", SUBJECT, {}, conn=conn)
        raise FailedChangeError


def test_an_entry_of_a_failed_transaction_is_rolled_back(home: Home) -> None:
    with pytest.raises(FailedChangeError):
        _failed_change(home.audit)
    home.audit.append("person", "grant.refused", SUBJECT, {})
    assert (home.audit.count(), home.audit.verify().ok) == (1, True)


def _hammer(audit: AuditLog, threads: int, each: int) -> None:
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        start.wait()
        try:
            for i in range(each):
                audit.append("system", "test.append", None, {"thread": n, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []


def test_concurrent_appends_keep_one_chain(home: Home) -> None:
    _hammer(home.audit, threads=4, each=20)
    report = home.audit.verify()
    assert (report.ok, report.checked) == (True, 80)


@pytest.fixture
def postgres_audit(postgres_url: str) -> Iterator[AuditLog]:
    engine = connect(postgres_url)
    migrate(engine)
    yield AuditLog(engine, SystemClock())
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_appends_keep_one_chain_on_postgres(postgres_audit: AuditLog) -> None:
    before = postgres_audit.count()
    _hammer(postgres_audit, threads=4, each=20)
    report = postgres_audit.verify()
    assert (report.ok, report.checked) == (True, before + 80)


def test_an_entry_moved_to_another_person_is_found_as_altered(chain: AuditLog, home: Home) -> None:
    with home.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(subject=OTHER))
    report = chain.verify()
    assert (report.ok, report.first_bad, report.problem) == (False, 3, "altered")
    assert "another person" in report.message


def test_a_person_blanked_without_an_erasure_is_found_as_altered(
    chain: AuditLog, home: Home
) -> None:
    with home.engine.begin() as conn:  # hiding an entry from SUBJECT's access log
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(subject=None))
    report = chain.verify()
    assert (report.ok, report.first_bad, report.problem) == (False, 3, "altered")
    assert "no erasure" in report.message


def test_erasing_a_subject_keeps_the_chain_and_unlinks_their_entries(
    chain: AuditLog, home: Home
) -> None:
    refs = {e.id: e.subject_ref for e in chain.for_subject(SUBJECT)}
    with chain.writing() as conn:
        tombstone = chain.erase_subject(conn, SUBJECT, "operator", {"scores": 2})
    report = chain.verify()
    assert report.ok, report.message
    assert report.checked == 6
    assert chain.for_subject(SUBJECT) == []
    assert (tombstone.id, tombstone.subject, tombstone.detail) == (6, None, {"scores": 2})
    assert {refs[1], refs[3], refs[5]} == {tombstone.subject_ref}
    assert [e.subject for e in chain.for_subject(OTHER)] == [OTHER]  # others keep theirs
    with home.engine.connect() as conn:
        salts = conn.execute(select(audit_subjects.c.subject)).scalars().all()
    assert salts == [OTHER]
    again = chain.append("partner:acme", "disclosure.denied", SUBJECT, {})
    assert again.subject_ref != tombstone.subject_ref  # a new salt: no link to the erased
    assert chain.verify().ok


def test_each_person_has_a_reference_of_their_own(chain: AuditLog) -> None:
    mine = {e.subject_ref for e in chain.for_subject(SUBJECT)}
    theirs = {e.subject_ref for e in chain.for_subject(OTHER)}
    assert len(mine) == len(theirs) == 1
    assert mine != theirs
    assert SUBJECT not in str(mine)
