"""Disputes in the operational store: opened by people, answered by sources, resolved by the
statutory clock, each step in the audit chain.

The vocabulary and the rules are those of :mod:`credo.rights.disputes`; this module keeps them.

- A person disputes an event of their own, found in the lake by ``(source, event_id)``; another
  person's event is answered like a missing one (NotFoundError), so it does not tell that the
  event exists. A record is disputed once: a second dispute of it is a ConflictError, so a
  rejected record cannot be kept out of scoring by disputing it again and again.
- The statement and the evidence are free text that may name people: they are encrypted with
  the person's data key from the identity vault (erasing the person makes them unreadable, in
  backups too) and bound to the disputed record by the associated data.
- Answers and the clock's resolutions move the source's tally
  (:meth:`~credo.events.sources.SourceRegistry.record_dispute_outcome`) and write the audit
  entry in the same transaction, then call ``on_resolved`` with the people to re-score.
- Audit entries carry the dispute id, the source, the event type and the outcome: never the
  statement, the evidence or the event id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyarrow.dataset as ds
from sqlalchemy import Connection, Engine, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.consent.watchlist import EventDataset, RecordKey
from credo.errors import ConflictError, NotFoundError, PrivacyError
from credo.events.sources import SourceRegistry
from credo.privacy.envelope import decrypt, encrypt
from credo.privacy.vault import IdentityVault
from credo.rights.disputes import (
    EXCLUDING,
    Dispute,
    Outcome,
    answer,
    check_text,
    due_at,
    resolve_expired,
    status_at,
)
from credo.settings import RightsSettings
from credo.storage.tables import disputes

__all__ = ["DisputeService", "Rescore"]

Rescore = Callable[[Sequence[str], str], object]
"""Re-scores people: called with their subject tokens and what triggered it."""

_KEY_ID = "dek1"  # the person's data key, as the vault names it in its own ciphertexts


def _aad(source: str, event_id: str, field: str) -> bytes:
    """Binds a ciphertext to its record and field: it cannot be moved to another dispute."""
    return json.dumps(["dispute", source, event_id, field]).encode("utf-8")


class DisputeService:
    """People's disputes, sources' answers and the statutory clock.

    Parameters
    ----------
    engine
        The operational store.
    audit
        The audit chain; every change is appended in the change's transaction.
    clock
        Where "now" comes from (a fixed clock in tests).
    settings
        The statutory periods and the operator's jurisdiction.
    lake
        The event lake, to find the disputed event and check that it is the person's.
    vault
        The identity vault, whose per-person data keys encrypt statements and evidence.
    sources
        The source registry, which keeps each source's tally of outcomes.
    on_resolved
        Called after an answer or the clock's resolutions commit, with the people to re-score.
    """

    name = "disputes"
    """The key of the person's disputes in a data export."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        clock: Clock,
        settings: RightsSettings,
        *,
        lake: EventDataset,
        vault: IdentityVault,
        sources: SourceRegistry,
        on_resolved: Rescore | None = None,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._clock = clock
        self._settings = settings
        self._lake = lake
        self._vault = vault
        self._sources = sources
        self._on_resolved = on_resolved

    # --- people --------------------------------------------------------------------------------

    def open(self, subject: str, *, source: str, event_id: str, statement: str) -> Dispute:
        """Dispute ``subject``'s event ``event_id`` of ``source``; it is left out of scoring
        from now on while pending, and the statutory clock starts."""
        text = check_text(statement, "statement")
        event = self._event(source, event_id)
        if event is None or event["subject"] != subject:
            raise NotFoundError(f"this person has no event {event_id!r} from source {source!r}")
        now = self._clock.now()
        jurisdiction = self._settings.jurisdiction
        row = {
            "subject": subject,
            "source": source,
            "event_id": event_id,
            "event_type": event["type"],
            "occurred_at": event["occurred_at"],
            "statement": self._seal(subject, source, event_id, "statement", text),
            "jurisdiction": jurisdiction,
            "opened_at": now,
            "due_at": due_at(now, jurisdiction, self._settings),
            "status": "pending",
        }
        try:
            with self._audit.writing() as conn:
                earlier = conn.execute(
                    select(disputes.c.id).where(
                        disputes.c.source == source, disputes.c.event_id == event_id
                    )
                ).scalar()
                if earlier is not None:
                    raise ConflictError(
                        f"event {event_id!r} of source {source!r} is disputed already (dispute "
                        f"{earlier}); a record is disputed once"
                    )
                key = conn.execute(insert(disputes).values(row)).inserted_primary_key
                assert key is not None
                dispute = self._one(conn, int(key[0]))
                self._log(conn, dispute, "person", "dispute.opened")
        except IntegrityError as exc:  # another request opened it in between
            raise ConflictError(
                f"event {event_id!r} of source {source!r} is disputed already"
            ) from exc
        return dispute

    def for_subject(self, subject: str) -> list[Dispute]:
        """``subject``'s disputes as they stand now, newest first."""
        query = select(disputes).where(disputes.c.subject == subject)
        return self._read(query.order_by(disputes.c.id.desc()))

    def records_of(self, subject: str) -> list[dict[str, Any]]:
        """``subject``'s disputes as JSON-ready records, for their data export."""
        return [
            {
                "id": d.id,
                "source": d.source,
                "event_id": d.event_id,
                "event_type": d.event_type,
                "occurred_at": d.occurred_at.isoformat(),
                "statement": d.statement,
                "opened_at": d.opened_at.isoformat(),
                "due_at": d.due_at.isoformat(),
                "status": d.status,
                "resolved_by": d.resolved_by,
                "resolved_at": None if d.resolved_at is None else d.resolved_at.isoformat(),
                "evidence": d.evidence,
            }
            for d in self.for_subject(subject)
        ]

    def erase(self, subject: str) -> int:
        """Delete ``subject``'s disputes (erasure); returns how many. The sources' tallies keep
        the outcomes."""
        with self._engine.begin() as conn:
            gone = conn.execute(delete(disputes).where(disputes.c.subject == subject))
            return int(gone.rowcount)

    # --- sources -------------------------------------------------------------------------------

    def for_source(self, source: str) -> list[Dispute]:
        """The disputes of ``source``'s events still waiting for its answer, the first due
        first."""
        now = self._clock.now()
        query = select(disputes).where(
            disputes.c.source == source, disputes.c.status == "pending", disputes.c.due_at > now
        )
        return self._read(query.order_by(disputes.c.due_at, disputes.c.id))

    def answer(self, source: str, dispute_id: int, *, outcome: str, evidence: str) -> Dispute:
        """``source`` answers one of its disputes: ``upheld`` (its record is wrong and stays out
        of scoring) or ``rejected`` (the record stands and counts again), with evidence; the
        person is then re-scored. Another source's dispute is a NotFoundError."""
        now = self._clock.now()
        with self._audit.writing() as conn:
            current = self._one(conn, dispute_id, source=source)
            resolved = answer(current, outcome, evidence, now)
            assert resolved.evidence is not None
            decided: Outcome = "upheld" if resolved.status == "upheld" else "rejected"
            sealed = self._seal(
                resolved.subject, source, resolved.event_id, "evidence", resolved.evidence
            )
            conn.execute(
                update(disputes)
                .where(disputes.c.id == dispute_id)
                .values(status=decided, resolved_by="source", resolved_at=now, evidence=sealed)
            )
            self._sources.record_dispute_outcome(source, decided, conn=conn)
            self._log(conn, resolved, f"partner:{source}", "dispute.answered")
        self._rescore([resolved], f"dispute {dispute_id} answered by the source")
        return resolved

    # --- the clock and scoring -----------------------------------------------------------------

    def resolve_expired(self, *, rescore: bool = True) -> list[Dispute]:
        """Record the resolutions the statutory clock has made by now (upheld at their
        ``due_at``, in the people's favour) and re-score those people unless ``rescore`` is
        False (a monthly run that follows re-scores everyone)."""
        now = self._clock.now()
        with self._audit.writing() as conn:
            query = select(disputes).where(disputes.c.status == "pending", disputes.c.due_at <= now)
            rows = conn.execute(query.order_by(disputes.c.due_at, disputes.c.id)).mappings().all()
            resolved = resolve_expired(self._disputes(rows), now)
            for dispute in resolved:
                conn.execute(
                    update(disputes)
                    .where(disputes.c.id == dispute.id)
                    .values(status="upheld", resolved_by="clock", resolved_at=dispute.due_at)
                )
                self._sources.record_dispute_outcome(dispute.source, "upheld", conn=conn)
                self._log(conn, dispute, "system", "dispute.resolved")
        if rescore:
            self._rescore(resolved, "dispute clock")
        return resolved

    def excluded(self) -> set[tuple[str, str]]:
        """The ``(source, event_id)`` pairs scoring leaves out: pending and upheld disputes."""
        query = select(disputes.c.source, disputes.c.event_id).where(
            disputes.c.status.in_(sorted(EXCLUDING))
        )
        with self._engine.connect() as conn:
            return {(str(s), str(e)) for s, e in conn.execute(query)}

    def statuses(self, subject: str, keys: Sequence[RecordKey]) -> Mapping[RecordKey, str]:
        """The dispute status of each of ``subject``'s records among ``keys`` that is disputed
        (the watchlist's :class:`~credo.consent.watchlist.DisputeStatuses`)."""
        wanted = set(keys)
        if not wanted:
            return {}
        now = self._clock.now()
        query = select(
            disputes.c.source, disputes.c.event_id, disputes.c.status, disputes.c.due_at
        ).where(disputes.c.subject == subject)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            (source, event_id): status_at(status, due, now)
            for source, event_id, status, due in rows
            if (source, event_id) in wanted
        }

    # --- store ---------------------------------------------------------------------------------

    def _event(self, source: str, event_id: str) -> dict[str, Any] | None:
        found = self._lake.dataset().to_table(
            columns=["subject", "type", "occurred_at"],
            filter=(ds.field("source") == source) & (ds.field("event_id") == event_id),
        )
        rows: list[dict[str, Any]] = found.slice(0, 1).to_pylist()
        return rows[0] if rows else None

    def _seal(self, subject: str, source: str, event_id: str, field: str, text: str) -> bytes:
        key = self._vault.data_keys([subject])[subject]
        return encrypt(key, _KEY_ID, text.encode("utf-8"), _aad(source, event_id, field))

    @staticmethod
    def _unseal(keys: Mapping[str, bytes], row: RowMapping, field: str) -> str:
        key = keys[row["subject"]]
        try:
            plain = decrypt(lambda _: key, row[field], _aad(row["source"], row["event_id"], field))
        except PrivacyError as exc:
            raise PrivacyError(
                f"cannot decrypt the {field} of dispute {row['id']} (subject {row['subject']}): "
                f"{exc}"
            ) from exc
        return plain.decode("utf-8")

    def _disputes(self, rows: Iterable[RowMapping]) -> list[Dispute]:
        rows = list(rows)
        keys = self._vault.data_keys(sorted({row["subject"] for row in rows})) if rows else {}
        return [
            Dispute(
                id=int(row["id"]),
                subject=row["subject"],
                source=row["source"],
                event_id=row["event_id"],
                event_type=row["event_type"],
                occurred_at=row["occurred_at"],
                statement=self._unseal(keys, row, "statement"),
                jurisdiction=row["jurisdiction"],
                opened_at=row["opened_at"],
                due_at=row["due_at"],
                status=row["status"],
                resolved_by=row["resolved_by"],
                resolved_at=row["resolved_at"],
                evidence=None if row["evidence"] is None else self._unseal(keys, row, "evidence"),
            )
            for row in rows
        ]

    def _read(self, query: Any) -> list[Dispute]:
        now = self._clock.now()
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [d.at(now) for d in self._disputes(rows)]

    def _one(self, conn: Connection, dispute_id: int, *, source: str | None = None) -> Dispute:
        query = select(disputes).where(disputes.c.id == dispute_id)
        row = conn.execute(query).mappings().first()
        if row is None or (source is not None and row["source"] != source):
            owner = "" if source is None else f" of source {source!r}"
            raise NotFoundError(f"no dispute {dispute_id}{owner}")
        return self._disputes([row])[0]

    def _log(self, conn: Connection, dispute: Dispute, actor: str, action: str) -> None:
        detail: dict[str, Any] = {
            "dispute": dispute.id,
            "source": dispute.source,
            "event_type": dispute.event_type,
            "status": dispute.status,
            "due_at": dispute.due_at.isoformat(),
        }
        if dispute.resolved_by is not None:
            detail["resolved_by"] = dispute.resolved_by
        self._audit.append(actor, action, dispute.subject, detail, conn=conn)

    def _rescore(self, resolved: Sequence[Dispute], trigger: str) -> None:
        subjects = sorted({d.subject for d in resolved})
        if subjects and self._on_resolved is not None:
            self._on_resolved(subjects, trigger)
