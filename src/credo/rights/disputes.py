"""Disputes: a person contests one of their records, the source answers, a statutory clock runs.

Vocabulary (one meaning each, everywhere in credo — API, audit chain, watchlist, tallies)::

    a dispute is about one event of one source, known by (source, event_id)

    pending    the person disputes the record; nobody has decided yet.
               The event is left out of scoring at once (the next run or rescore).
    upheld     the DISPUTE is upheld: the person is right, the record is wrong.
               The event stays out of scoring for good; it counts against the source.
    rejected   the DISPUTE is rejected: the record stands.
               The event counts again.

A source answers ``upheld`` ("we agree our record is wrong") or ``rejected`` ("our record is
right"), with evidence. A source that does not answer within the statutory period
(:meth:`~credo.settings.RightsSettings.dispute_period_days`: 30 days by default, 20 in CN) loses:
the dispute is upheld by the clock, in the person's favour, exactly at ``due_at``.

Like a grant's expiry, a dispute's effective status is computed from the clock
(:meth:`Dispute.status_at`), so the person, the source and the watchlist read the right status
even before the expiry has been recorded; :func:`resolve_expired` lists the resolutions the
clock has made, which :class:`~credo.rights.dispute_service.DisputeService` records (an audit
entry, the source's tally, the re-score of the person).

This module is the pure core: frozen values and transitions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from credo.clock import utc
from credo.errors import ConflictError, InvalidInputError
from credo.settings import RightsSettings

__all__ = [
    "EXCLUDING",
    "MAX_TEXT_CHARS",
    "TEXT_PATTERN",
    "Dispute",
    "Outcome",
    "ResolvedBy",
    "Status",
    "answer",
    "check_text",
    "due_at",
    "resolve_expired",
    "status_at",
]

Status = Literal["pending", "upheld", "rejected"]
Outcome = Literal["upheld", "rejected"]
ResolvedBy = Literal["source", "clock"]
EXCLUDING: frozenset[str] = frozenset({"pending", "upheld"})
"""Statuses whose event is left out of scoring."""
MAX_TEXT_CHARS = 2_000
"""The longest statement (the person's) or evidence (the source's), in characters."""

TEXT_PATTERN = r"^[\t\n ]*[^\x00-\x20\x7f][^\x00-\x08\x0b-\x1f\x7f]*$"
"""What a statement or evidence may hold: text with something besides spaces, tabs and line
breaks, and no other control character (the API's schema states the same rule)."""
_BLANKS = " \t\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def due_at(opened_at: datetime, jurisdiction: str, rights: RightsSettings) -> datetime:
    """When the statutory period of a dispute opened at ``opened_at`` ends.

    >>> from datetime import UTC
    >>> due_at(datetime(2026, 11, 1, tzinfo=UTC), "CN", RightsSettings()).isoformat()
    '2026-11-21T00:00:00+00:00'
    """
    return utc(opened_at) + timedelta(days=rights.dispute_period_days(jurisdiction))


def check_text(text: str, what: str) -> str:
    """``text`` without surrounding spaces, tabs and line breaks, when it holds 1 to
    :data:`MAX_TEXT_CHARS` characters and no other control characters (:data:`TEXT_PATTERN`).

    >>> check_text("  The loan is not mine.  ", "statement")
    'The loan is not mine.'
    """
    cleaned = text.strip(_BLANKS)
    if not 1 <= len(cleaned) <= MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"a dispute's {what} holds 1 to {MAX_TEXT_CHARS} characters; got {len(cleaned)}"
        )
    if _CONTROL.search(cleaned):
        raise InvalidInputError(f"a dispute's {what} may not hold control characters")
    return cleaned


def status_at(status: Status, due: datetime, now: datetime) -> Status:
    """A dispute's effective status at ``now`` from its recorded ``status`` and ``due`` instant:
    a pending dispute is upheld from ``due`` on (not a moment before).

    >>> from datetime import UTC
    >>> due = datetime(2026, 12, 1, tzinfo=UTC)
    >>> status_at("pending", due, due - timedelta(microseconds=1)), status_at("pending", due, due)
    ('pending', 'upheld')
    """
    return "upheld" if status == "pending" and now >= due else status


@dataclass(frozen=True, slots=True)
class Dispute:
    """One dispute; ``status`` is as recorded, :meth:`status_at` is what holds at an instant.

    ``statement`` (the person's) and ``evidence`` (the source's) are the decrypted texts.
    """

    id: int
    subject: str
    source: str
    event_id: str
    event_type: str
    occurred_at: datetime
    statement: str
    jurisdiction: str
    opened_at: datetime
    due_at: datetime
    status: Status
    resolved_by: ResolvedBy | None = None
    resolved_at: datetime | None = None
    evidence: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        """Whether the clock has resolved the dispute at ``now`` without it being recorded."""
        return self.status == "pending" and now >= self.due_at

    def status_at(self, now: datetime) -> Status:
        """The effective status at ``now`` (see :func:`status_at`)."""
        return status_at(self.status, self.due_at, now)

    def at(self, now: datetime) -> Dispute:
        """The dispute as it stands at ``now`` (the clock's resolution applied if due)."""
        if not self.is_overdue(now):
            return self
        return replace(self, status="upheld", resolved_by="clock", resolved_at=self.due_at)

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the clock resolves a pending dispute (0 once it is not)."""
        if self.status_at(now) != "pending":
            return 0
        return max(0, int((self.due_at - now).total_seconds()))

    def excludes(self, now: datetime) -> bool:
        """Whether the disputed event is left out of scoring at ``now``."""
        return self.status_at(now) in EXCLUDING


def answer(dispute: Dispute, outcome: str, evidence: str, now: datetime) -> Dispute:
    """The source's answer: the dispute ``upheld`` (the record is wrong) or ``rejected`` (the
    record stands), with its evidence.

    Raises
    ------
    InvalidInputError
        For another outcome, or evidence that :func:`check_text` refuses.
    ConflictError
        When the dispute is no longer pending at ``now``: answered already, or the statutory
        period ended (the clock upheld it).
    """
    if outcome not in ("upheld", "rejected"):
        raise InvalidInputError(
            f"a source answers a dispute 'upheld' (the record is wrong) or 'rejected' (the "
            f"record stands); got {outcome!r}"
        )
    text = check_text(evidence, "evidence")
    if dispute.is_overdue(now):
        raise ConflictError(
            f"dispute {dispute.id} was upheld by the clock: the statutory period ended "
            f"{dispute.due_at:%Y-%m-%d %H:%M} UTC without an answer"
        )
    if dispute.status != "pending":
        raise ConflictError(
            f"dispute {dispute.id} was already {dispute.status} by the {dispute.resolved_by}"
        )
    return replace(
        dispute,
        status="upheld" if outcome == "upheld" else "rejected",
        resolved_by="source",
        resolved_at=now,
        evidence=text,
    )


def resolve_expired(disputes: Iterable[Dispute], now: datetime) -> list[Dispute]:
    """The disputes the clock has resolved by ``now``, as resolved (upheld at their
    ``due_at``), in order of ``due_at``; disputes still in their period are left out."""
    due = [d.at(now) for d in disputes if d.is_overdue(now)]
    return sorted(due, key=lambda d: (d.due_at, d.id))
