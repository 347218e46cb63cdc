"""erasure: audit entries hash a salted reference of the person, not their token; the queue of
lake purges

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-20 01:00:00

The chain's entries hashed the subject token itself, so a person could not be erased from it
without breaking it. This revision verifies the existing chain in that format (and refuses to
go on if it is broken: re-hashing must not launder tampering), gives every person a random
salt, re-hashes every entry over ``subject_ref = sha256(salt + token)``, and appends an
``audit.rechained`` entry recording the old chain's head and length, so that an anchor taken
of the old chain can still be matched. Both formats are written out here, not imported, so that
this revision keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import credo.storage.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TYPE = credo.storage.tables.UTCDateTime
GENESIS = "0" * 64


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(at: datetime, entry: Mapping[str, Any], key: str, value: str | None) -> str:
    document = {
        "action": entry["action"],
        "actor": entry["actor"],
        "at": _instant(at),
        "detail": json.loads(entry["detail"]),
        key: value,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _hash(prev: str, text: str) -> str:
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


def _entries(conn: sa.Connection) -> list[dict[str, Any]]:
    log = credo.storage.tables.audit_log
    query = sa.select(
        log.c.id, log.c.at, log.c.actor, log.c.action, log.c.subject, log.c.detail, log.c.hash
    ).order_by(log.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def _verify_tokens_format(entries: list[dict[str, Any]]) -> str:
    """Head of the chain in the format that hashed tokens; raise if it does not verify."""
    prev = GENESIS
    for number, entry in enumerate(entries, start=1):
        if entry["id"] != number:
            raise RuntimeError(f"the audit chain is missing entry {number}; refusing to re-hash it")
        text = _canonical(entry["at"], entry, "subject", entry["subject"])
        if _hash(prev, text) != entry["hash"]:
            raise RuntimeError(
                f"audit entry {number} does not match its hash (run `credo audit verify` on the "
                "previous version); refusing to re-hash a broken chain"
            )
        prev = entry["hash"]
    return prev


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UTC_TYPE(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_erasures")),
    )
    op.create_table(
        "audit_subjects",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_TYPE(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_audit_subjects")),
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("subject_ref", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    entries = _entries(conn)
    if not entries:
        return
    old_head = _verify_tokens_format(entries)
    now = datetime.now(UTC)
    salts = {s: secrets.token_bytes(16) for s in dict.fromkeys(e["subject"] for e in entries) if s}
    if salts:
        conn.execute(
            sa.insert(credo.storage.tables.audit_subjects),
            [{"subject": s, "salt": salt, "created_at": now} for s, salt in salts.items()],
        )
    log = credo.storage.tables.audit_log
    prev = GENESIS
    for entry in entries:
        subject = entry["subject"]
        ref = None
        if subject is not None:
            ref = hashlib.sha256(salts[subject] + subject.encode("ascii")).hexdigest()
        digest = _hash(prev, _canonical(entry["at"], entry, "subject_ref", ref))
        conn.execute(
            sa.update(log)
            .where(log.c.id == entry["id"])
            .values(subject_ref=ref, prev_hash=prev, hash=digest)
        )
        prev = digest
    detail = json.dumps(
        {"entries": len(entries), "format": "subject_ref", "previous_head": old_head},
        sort_keys=True,
        separators=(",", ":"),
    )
    marker = {"action": "audit.rechained", "actor": "system", "detail": detail}
    conn.execute(
        sa.insert(log).values(
            id=len(entries) + 1,
            at=now,
            actor="system",
            action="audit.rechained",
            subject=None,
            subject_ref=None,
            detail=detail,
            prev_hash=prev,
            hash=_hash(prev, _canonical(now, marker, "subject_ref", None)),
        )
    )


def downgrade() -> None:
    conn = op.get_bind()
    log = credo.storage.tables.audit_log
    prev = GENESIS
    for entry in _entries(conn):  # back to hashing tokens (erased people stay blank)
        digest = _hash(prev, _canonical(entry["at"], entry, "subject", entry["subject"]))
        conn.execute(
            sa.update(log).where(log.c.id == entry["id"]).values(prev_hash=prev, hash=digest)
        )
        prev = digest
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("subject_ref")
    op.drop_table("audit_subjects")
    op.drop_table("erasures")
