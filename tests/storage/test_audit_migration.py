"""Revision 0005 re-hashes an existing audit chain over salted subject references, after
verifying it in the format that hashed tokens, and refuses to re-hash a broken one."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, update

from credo.clock import FixedClock
from credo.consent.audit import GENESIS, AuditLog
from credo.storage.db import connect, migrate
from credo.storage.tables import audit_log

from factories import NOW

SUBJECT, OTHER = "a" * 32, "b" * 32


def tokens_format_chain(engine: Engine, entries: int) -> str:
    """Entries as revision 0004 wrote them (the hash covers the token); the head."""
    prev = GENESIS
    with engine.begin() as conn:
        for number in range(1, entries + 1):
            at = NOW + timedelta(minutes=number)
            subject = [SUBJECT, OTHER, None][number % 3]
            detail = {"authorization": number}
            text = json.dumps(
                {
                    "action": "disclosure.band",
                    "actor": "partner:acme",
                    "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "detail": detail,
                    "subject": subject,
                },
                sort_keys=True,
                separators=(",", ":"),
            )
            digest = hashlib.sha256((prev + text).encode()).hexdigest()
            conn.execute(
                insert(audit_log).values(
                    id=number,
                    at=at,
                    actor="partner:acme",
                    action="disclosure.band",
                    subject=subject,
                    detail=json.dumps(detail, sort_keys=True, separators=(",", ":")),
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
    return prev


@pytest.fixture
def old_store(tmp_path: Path) -> Engine:
    engine = connect(f"sqlite:///{tmp_path / 'credo.db'}")
    migrate(engine, "0004")
    return engine


def test_an_old_chain_is_rehashed_and_verifies(old_store: Engine) -> None:
    head = tokens_format_chain(old_store, 7)
    migrate(old_store)
    audit = AuditLog(old_store, FixedClock(NOW))
    report = audit.verify()
    assert report.ok, report.message
    assert report.checked == 8
    marker = audit.entries(start=8)[0]
    assert (marker.actor, marker.action) == ("system", "audit.rechained")
    assert marker.detail == {"entries": 7, "format": "subject_ref", "previous_head": head}
    mine = audit.for_subject(SUBJECT)
    assert [e.id for e in mine] == [6, 3]
    assert len({e.subject_ref for e in mine}) == 1
    with audit.writing() as conn:  # erasure works on migrated entries too
        audit.erase_subject(conn, SUBJECT, "operator", {})
    assert audit.verify().ok


def test_a_broken_old_chain_is_not_laundered(old_store: Engine) -> None:
    tokens_format_chain(old_store, 5)
    with old_store.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(detail='{"x":1}'))
    with pytest.raises(RuntimeError, match="entry 3 does not match its hash"):
        migrate(old_store)
