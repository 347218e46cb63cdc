"""The audit chain: an append-only log in which every entry carries the hash of the previous one.

Every disclosure and every grant or partner change is appended here, and a person reads their
own entries as their access log. Each entry's hash is::

    sha256(prev_hash + canonical)      # hex; prev_hash of the first entry is GENESIS

where ``canonical`` is the entry as compact JSON with sorted keys and ASCII escapes::

    {"action":"grant.approved","actor":"person","at":"2026-11-01T12:00:00.000000Z",
     "detail":{"authorization":7,"partner":"acme"},"subject_ref":"3f9c…"}

The hash covers the person's ``subject_ref`` = ``sha256(salt + subject token)``, with a random
salt per person kept in ``audit_subjects``, and not the token itself. While the person exists,
:meth:`AuditLog.verify` recomputes the reference from the stored token, so moving an entry to
another person is found. Erasing a person (:meth:`AuditLog.erase_subject`) blanks the token
on their entries, destroys their salt and appends a ``person.erased`` tombstone with the same
reference: the chain still verifies, and nothing in it can be linked back to them. An entry
whose token was blanked without such a tombstone is reported as altered.

The id is not hashed: ids are consecutive (assigned under the chain's lock), so a gap means a
removed entry, and a hash that is intact but follows the wrong entry means a reordering.
Removing the newest entries leaves a valid shorter chain: anchor :attr:`VerifyReport.head`
outside the database (a signed export, a notary) to detect that too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, RowMapping, delete, func, insert, select, text, update

from credo.clock import Clock, utc
from credo.errors import ConfigurationError, InvalidInputError
from credo.storage.tables import audit_log, audit_subjects

__all__ = [
    "ERASED",
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "Problem",
    "VerifyReport",
    "canonical",
    "chain_hash",
    "subject_ref",
    "verify_chain",
]

GENESIS = "0" * 64
ERASED = "person.erased"
"""Action of the tombstone left by an erasure."""
Problem = Literal["altered", "removed", "reordered"]

# any constant works; it only has to be the same in every process appending to the chain
_PG_LOCK = 0x637265646F_0A0D17
_ACTOR = re.compile(r"(person|operator|system|partner)(:[a-z0-9][a-z0-9_.-]{0,62})?")
_ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)*")
# a guard, not a proof: detail names people by subject token only, never by these fields
_PERSONAL_KEYS = frozenset(
    {"name", "phone", "national_id", "identifier", "address", "email", "password", "birth_date"}
)
_DETAIL_CHARS = 4_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link of the chain."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    subject_ref: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of :meth:`AuditLog.verify`.

    ``first_bad`` is the id of the first entry found wrong (for ``removed``, the first missing
    id), ``head`` the hash of the last entry checked that is still good.
    """

    ok: bool
    checked: int
    head: str
    first_bad: int | None = None
    problem: Problem | None = None
    message: str = ""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonical(
    *, at: datetime, actor: str, action: str, subject_ref: str | None, detail: Mapping[str, Any]
) -> str:
    """The canonical JSON text of an entry (what its hash covers, with the previous hash).

    >>> from datetime import UTC
    >>> canonical(at=datetime(2026, 1, 1, tzinfo=UTC), actor="person", action="grant.refused",
    ...           subject_ref="ab", detail={"authorization": 1})
    '{"action":"grant.refused","actor":"person","at":"2026-01-01T00:00:00.000000Z","detail":{"authorization":1},"subject_ref":"ab"}'
    """
    instant = utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return _json(
        {
            "action": action,
            "actor": actor,
            "at": instant,
            "detail": detail,
            "subject_ref": subject_ref,
        }
    )


def chain_hash(prev_hash: str, canonical_text: str) -> str:
    """``sha256(prev_hash + canonical_text)`` in hex."""
    return hashlib.sha256((prev_hash + canonical_text).encode("utf-8")).hexdigest()


def subject_ref(salt: bytes, subject: str) -> str:
    """What the chain records of a person: ``sha256(salt + subject token)`` in hex.

    >>> subject_ref(bytes(16), "ab")[:16]
    '22c078ba731c0c77'
    """
    return hashlib.sha256(salt + subject.encode("ascii")).hexdigest()


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        subject_ref=row["subject_ref"],
        detail=json.loads(row["detail"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _check_detail(detail: Mapping[str, Any]) -> str:
    personal = sorted(_PERSONAL_KEYS.intersection(detail))
    if personal:
        raise InvalidInputError(
            f"audit detail must not hold personal data; got field(s) {', '.join(personal)}"
        )
    try:
        encoded = _json(dict(detail))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"audit detail is not plain JSON: {exc}") from exc
    if len(encoded) > _DETAIL_CHARS:
        raise InvalidInputError(f"audit detail is {len(encoded)} characters; at most 4000")
    return encoded


def verify_chain(
    links: Iterable[tuple[AuditEntry, bytes | None]], owner_of: Callable[[str], int | None]
) -> VerifyReport:
    """Check entries (in id order, each with its person's audit salt or ``None``) link into one
    chain from :data:`GENESIS`, and that each entry's token matches its hashed reference.

    ``owner_of(hash)`` gives the id of the entry whose hash that is (``None`` if none), to tell
    a reordering from an alteration once a broken link is found.
    """
    prev, expected, checked = GENESIS, 1, 0
    blanked: dict[str, int] = {}  # reference -> first entry whose token is blank
    tombstones: set[str] = set()
    for entry, salt in links:
        if entry.id != expected:
            missing = f"{expected}" if entry.id == expected + 1 else f"{expected} to {entry.id - 1}"
            return VerifyReport(
                False, checked, prev, expected, "removed", f"entry {missing} is missing"
            )
        content = canonical(
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            subject_ref=entry.subject_ref,
            detail=entry.detail,
        )
        if chain_hash(entry.prev_hash, content) != entry.hash:
            return VerifyReport(
                False,
                checked,
                prev,
                entry.id,
                "altered",
                f"entry {entry.id} does not match its hash",
            )
        if entry.subject is not None and (
            salt is None or subject_ref(salt, entry.subject) != entry.subject_ref
        ):
            return VerifyReport(
                False,
                checked,
                prev,
                entry.id,
                "altered",
                f"entry {entry.id} names another person than the one its hash covers",
            )
        if entry.prev_hash != prev:
            return _broken_link(entry, prev, checked, owner_of)
        if entry.subject is None and entry.subject_ref is not None:
            if entry.action == ERASED:
                tombstones.add(entry.subject_ref)
            else:
                blanked.setdefault(entry.subject_ref, entry.id)
        prev, expected, checked = entry.hash, expected + 1, checked + 1
    hidden = sorted(first for ref, first in blanked.items() if ref not in tombstones)
    if hidden:
        return VerifyReport(
            False,
            checked,
            prev,
            hidden[0],
            "altered",
            f"entry {hidden[0]} had its person removed, yet no erasure of that person is recorded",
        )
    return VerifyReport(True, checked, prev, message=f"{checked} entries form one chain")


def _broken_link(
    entry: AuditEntry, prev: str, checked: int, owner_of: Callable[[str], int | None]
) -> VerifyReport:
    owner = owner_of(entry.prev_hash)
    if owner is not None:
        return VerifyReport(
            False,
            checked,
            prev,
            entry.id,
            "reordered",
            f"entry {entry.id} follows entry {owner}, not entry {entry.id - 1}",
        )
    if entry.id == 1:
        return VerifyReport(
            False, checked, prev, 1, "removed", "entries before entry 1 were removed"
        )
    # the predecessor's content and hash were both rewritten (or entries were removed and the
    # rest renumbered): either way the chain is broken at the predecessor
    return VerifyReport(
        False,
        checked,
        prev,
        entry.id - 1,
        "altered",
        f"entry {entry.id} does not follow entry {entry.id - 1}: it was altered and re-hashed",
    )


class AuditLog:
    """The audit chain in the operational store."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._threads = threading.Lock()
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._lock_file = (
            None if not database or database == ":memory:" else Path(database + ".audit-lock")
        )

    @contextmanager
    def _queued(self) -> Iterator[None]:
        """Wait in line for SQLite's write lock instead of polling for it.

        SQLite makes a writer that finds the database locked sleep and retry (1, 2, 5 … 100 ms),
        so a busy API spends its time asleep. Writers of the chain therefore queue on a thread
        lock (within a process) and an ``flock`` (between processes, e.g. API workers), which
        wake the next writer the moment the last one commits.
        """
        if self._lock_file is None:
            yield
            return
        with self._threads, self._lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction holding the chain's write lock.

        Entries appended with ``conn=`` the yielded connection commit (or roll back) with the
        rest of the transaction, so a change and its audit entry are never separated.
        """
        with self._queued(), self._engine.begin() as conn:
            dialect = conn.dialect.name
            if dialect == "sqlite":
                # the driver would begin lazily at the first write: reading the chain's head
                # first would let two appenders fork it; IMMEDIATE takes the write lock now
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            else:
                raise ConfigurationError(f"the audit chain does not support {dialect!r}")
            yield conn

    def append(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: Mapping[str, Any] | None = None,
        *,
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> AuditEntry:
        """Append an entry (in ``conn``'s transaction, which must come from :meth:`writing`).

        ``actor`` is ``person``, ``operator``, ``system`` or ``partner:NAME``; ``detail`` is
        plain JSON without personal data (people appear as ``subject`` tokens only).
        """
        if not _ACTOR.fullmatch(actor):
            raise InvalidInputError(f"audit actor {actor!r} is not person, operator or partner:…")
        if not _ACTION.fullmatch(action) or len(action) > 64:
            raise InvalidInputError(f"audit action {action!r} is not dotted lowercase words")
        encoded = _check_detail(detail or {})
        if conn is None:
            with self.writing() as own:
                return self._insert(own, actor, action, subject, encoded=encoded, at=at)
        return self._insert(conn, actor, action, subject, encoded=encoded, at=at)

    def _insert(
        self,
        conn: Connection,
        actor: str,
        action: str,
        subject: str | None,
        *,
        encoded: str,
        at: datetime | None,
        ref: str | None = None,
    ) -> AuditEntry:
        instant = utc(at) if at is not None else self._clock.now()
        last = conn.execute(
            select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
        ).first()
        number, prev = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
        if subject is not None:
            ref = self._subject_ref(conn, subject, instant)
        detail = json.loads(encoded)
        content = canonical(at=instant, actor=actor, action=action, subject_ref=ref, detail=detail)
        digest = chain_hash(prev, content)
        conn.execute(
            insert(audit_log).values(
                id=number,
                at=instant,
                actor=actor,
                action=action,
                subject=subject,
                subject_ref=ref,
                detail=encoded,
                prev_hash=prev,
                hash=digest,
            )
        )
        return AuditEntry(number, instant, actor, action, subject, ref, detail, prev, digest)

    @staticmethod
    def _subject_ref(conn: Connection, subject: str, now: datetime) -> str:
        """The person's reference, with a new salt for a person the chain has not seen yet
        (under the chain's lock, so two appenders cannot both create one)."""
        salt = conn.execute(
            select(audit_subjects.c.salt).where(audit_subjects.c.subject == subject)
        ).scalar()
        if salt is None:
            salt = secrets.token_bytes(16)
            conn.execute(insert(audit_subjects).values(subject=subject, salt=salt, created_at=now))
        return subject_ref(salt, subject)

    def erase_subject(
        self, conn: Connection, subject: str, actor: str, detail: Mapping[str, Any]
    ) -> AuditEntry:
        """Make ``subject``'s entries unlinkable and append their ``person.erased`` tombstone,
        in ``conn``'s transaction (which must come from :meth:`writing`).

        The token is blanked on every entry about them and their salt destroyed; the entries
        keep their reference, which nothing can tie to the person any more, and the tombstone
        carries the same reference (``detail`` says what the erasure removed, in counts).
        """
        encoded = _check_detail(detail)
        salt = conn.execute(
            select(audit_subjects.c.salt).where(audit_subjects.c.subject == subject)
        ).scalar()
        ref = None if salt is None else subject_ref(salt, subject)
        conn.execute(update(audit_log).where(audit_log.c.subject == subject).values(subject=None))
        conn.execute(delete(audit_subjects).where(audit_subjects.c.subject == subject))
        return self._insert(conn, actor, ERASED, None, encoded=encoded, at=None, ref=ref)

    def verify(self) -> VerifyReport:
        """Walk the whole chain; report the first altered, removed or reordered entry."""
        with self._engine.connect() as conn:
            query = (
                select(audit_log, audit_subjects.c.salt)
                .outerjoin(audit_subjects, audit_log.c.subject == audit_subjects.c.subject)
                .order_by(audit_log.c.id)
            )
            result = conn.execution_options(yield_per=2_000).execute(query)
            try:
                links = ((_entry(row), row["salt"]) for row in result.mappings())
                return verify_chain(links, self._owner_of)
            finally:  # a broken chain stops the walk early: close the server-side cursor
                result.close()

    def _owner_of(self, digest: str) -> int | None:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(func.min(audit_log.c.id)).where(audit_log.c.hash == digest)
            ).scalar()
        return None if found is None else int(found)

    def for_subject(self, subject: str, *, limit: int | None = None) -> list[AuditEntry]:
        """A person's access log: the entries about ``subject``, newest first."""
        query = (
            select(audit_log)
            .where(audit_log.c.subject == subject)
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query).mappings()]

    def entries(self, *, start: int = 1, limit: int | None = None) -> list[AuditEntry]:
        """Entries from id ``start`` on, oldest first."""
        query = select(audit_log).where(audit_log.c.id >= start).order_by(audit_log.c.id)
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query.limit(limit)).mappings()]

    def count(self) -> int:
        """How many entries the chain holds."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())

    def disclosures_for(self, subject: str, *, limit: int | None = None) -> list[AuditEntry]:
        """What partners asked about ``subject`` (answered or denied), newest first: the
        ``disclosure.*`` entries of the person's access log."""
        query = (
            select(audit_log)
            .where(audit_log.c.subject == subject, audit_log.c.action.startswith("disclosure."))
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query).mappings()]
