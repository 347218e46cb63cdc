"""Erasure (the right to be forgotten): remove a person from credo, physically, and prove it.

An erasure has two steps:

1. **The store, at once, in one transaction** (:meth:`ErasureService.forget`): the person's
   vault entry (their data key and every encrypted value, so copies of the values elsewhere can
   no longer be read), scores of every run, grants and threshold probes, consents and their
   history, disputes, password and sessions. Their audit entries are made unlinkable and a
   ``person.erased`` tombstone records what was removed, in counts
   (:meth:`credo.consent.audit.AuditLog.erase_subject`). The person is queued for step 2.
2. **The lake** (:meth:`ErasureService.purge_pending`): their events and the ties that name them
   are deleted, transfers naming them lose the counterpart, then the removed files are vacuumed
   and the Delta log before the purge is removed (:meth:`credo.lake.delta.DeltaEventLake.purge`).
   The queue row goes last. A purge waits for a monthly run reading the lake; the next monthly
   run purges what is queued before it reads anything, so the person's ties no longer count for
   others from that run on.

On SQLite, deleted rows are overwritten (``secure_delete``) and the write-ahead log is truncated,
so no freed page keeps the person's bytes. On PostgreSQL deleted rows are unreachable at once
and their bytes leave the disk when the tables are vacuumed and rewritten (``VACUUM FULL``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow.dataset as ds
from sqlalchemy import Connection, Engine, Table, delete, func, select, text

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.errors import InvalidInputError, NotFoundError
from credo.lake.delta import DeltaEventLake, LakeBusyError, Purge
from credo.privacy.vault import IdentityVault
from credo.storage.db import insert_ignore
from credo.storage.tables import (
    audit_log,
    authorizations,
    consent_log,
    consents,
    disputes,
    erasures,
    people_credentials,
    scores,
    sessions,
    threshold_probes,
    vault_fields,
    vault_subjects,
)

__all__ = ["Erasure", "ErasureService"]

_TOKEN = re.compile(r"[0-9a-f]{32}")
# what is removed in the store, child tables first (the key name is what the tombstone counts)
_HELD: tuple[tuple[str, Table], ...] = (
    ("personal_values", vault_fields),
    ("data_keys", vault_subjects),
    ("scores", scores),
    ("threshold_probes", threshold_probes),
    ("grants", authorizations),
    ("consents", consents),
    ("consent_changes", consent_log),
    ("disputes", disputes),
    ("passwords", people_credentials),
    ("sessions", sessions),
)


class _NothingStoredError(Exception):
    """The store holds nothing about the person (the lake may still)."""


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing one person removed from the store (counts: nothing is left to name them)
    and, once done, from the lake (``purge`` is ``None`` while the lake purge waits)."""

    removed: dict[str, int]
    audit_entries: int
    purge: Purge | None


def _require_tokens(subjects: Sequence[str]) -> None:
    for subject in subjects:
        if not _TOKEN.fullmatch(subject):
            raise InvalidInputError(f"{subject!r} is not a subject token")


class ErasureService:
    """Erases people from the store and the lake."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        lake: DeltaEventLake,
        clock: Clock,
        vault: IdentityVault | None = None,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._lake = lake
        self._clock = clock
        self._vault = vault

    def erase(self, subject: str, *, actor: str, wait: bool = True) -> Erasure:
        """Erase ``subject`` from the store, then purge the lake of every queued person.

        With ``wait=False`` (a request from the person over the API) the lake purge is left
        queued when a monthly run is reading the lake, instead of waiting for it to end.

        Raises
        ------
        NotFoundError
            When credo holds nothing about ``subject`` (never known, or already erased).
        """
        removed, entries = self.forget(subject, actor=actor)
        purge = self.purge_pending(wait=wait)
        return Erasure(removed, entries, purge)

    def forget(self, subject: str, *, actor: str) -> tuple[dict[str, int], int]:
        """Step 1: remove ``subject`` from the store and queue their lake purge; returns the
        rows removed per kind and how many audit entries were made unlinkable."""
        _require_tokens([subject])
        try:
            return self._forget(subject, actor, events_known=False)
        except _NothingStoredError:
            # the lake is scanned outside the chain's lock, which every disclosure waits on
            if not self._has_events(subject):
                raise NotFoundError("credo holds nothing about this person") from None
            return self._forget(subject, actor, events_known=True)

    def _forget(
        self, subject: str, actor: str, *, events_known: bool
    ) -> tuple[dict[str, int], int]:
        with self._audit.writing() as conn:
            removed = {name: _delete(conn, table, subject) for name, table in _HELD}
            queued = conn.execute(
                select(erasures.c.subject).where(erasures.c.subject == subject)
            ).first()
            entries = int(
                conn.execute(
                    select(func.count()).where(audit_log.c.subject == subject)
                ).scalar_one()
            )
            held = any(removed.values()) or entries or queued is not None
            if not held and not events_known:
                raise _NothingStoredError  # rolls back: nothing was deleted, nothing is appended
            insert_ignore(conn, erasures, [{"subject": subject, "requested_at": self._clock.now()}])
            detail = {**{k: v for k, v in removed.items() if v}, "audit_entries": entries}
            self._audit.erase_subject(conn, subject, actor, detail)
        if self._vault is not None:  # no data key of theirs stays in this process' memory
            self._vault.forget_cached_keys()
        self._scrub()
        return removed, entries

    def pending(self) -> int:
        """How many erased people still wait for their lake purge."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(erasures)).scalar_one())

    def purge_pending(self, *, wait: bool = True) -> Purge | None:
        """Step 2: purge the lake of every queued person (one Delta delete for all of them);
        ``None`` when nobody is queued, or when ``wait=False`` and the lake is busy."""
        with self._engine.connect() as conn:
            queued = sorted(conn.execute(select(erasures.c.subject)).scalars())
        if not queued:
            return None
        _require_tokens(queued)
        subject, counterpart = ds.field("subject"), ds.field("counterpart")
        try:
            purge = self._lake.purge(
                subject.isin(queued) | ((ds.field("type") == "tie") & counterpart.isin(queued)),
                blank_counterpart=counterpart.isin(queued),
                wait=wait,
            )
        except LakeBusyError:
            return None  # only raised when not waiting: the next run purges it
        with self._engine.begin() as conn:
            conn.execute(delete(erasures).where(erasures.c.subject.in_(queued)))
        self._scrub()
        return purge

    def _has_events(self, subject: str) -> bool:
        if not self._lake.exists():
            return False
        return bool(self._lake.dataset().count_rows(filter=ds.field("subject") == subject))

    def _scrub(self) -> None:
        """SQLite: fold the write-ahead log into the database and truncate it, so the page
        images it held before the delete are gone too (deleted rows are zeroed in place by
        ``secure_delete``)."""
        if self._engine.dialect.name == "sqlite":
            with self._engine.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _delete(conn: Connection, table: Table, subject: str) -> int:
    return int(conn.execute(delete(table).where(table.c.subject == subject)).rowcount or 0)
