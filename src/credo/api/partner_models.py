"""Request and response bodies of the partner routes (:mod:`credo.api.partner`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AwareDatetime, Field, field_validator

from credo.api.models import IDENTIFIER, NO_CONTROL, In, Instant, Out
from credo.consent.grants import MAX_DURATION_DAYS, Scope, Status
from credo.consent.partners import PURPOSES
from credo.rights.disputes import MAX_TEXT_CHARS, TEXT_PATTERN, Outcome
from credo.rights.disputes import Status as DisputeStatus

__all__ = [
    "MAX_FEEDBACK_EVENTS",
    "AdmittedOut",
    "AuthorizationId",
    "AuthorizationIn",
    "AuthorizationOut",
    "BandOut",
    "DisputeAnswerIn",
    "DisputeId",
    "FeedbackIn",
    "FeedbackOut",
    "FreezeIn",
    "NegativeRecordOut",
    "ReasonOut",
    "ReasonsOut",
    "RejectOut",
    "ScoreOut",
    "SourceDisputeOut",
    "SourceDisputesOut",
    "WatchlistOut",
]

MAX_FEEDBACK_EVENTS = 1_000
"""Events one feedback request may carry (larger loads go through file ingest)."""
_MAX_ID = 2**31 - 1  # authorization ids are 32-bit integers in both stores


# --- authorizations ---------------------------------------------------------------------------


class AuthorizationIn(In):
    """A partner's request for access to a person's score."""

    identifier: str = Field(
        min_length=3,
        max_length=64,
        pattern=IDENTIFIER,
        description="The person as the partner knows them: national id or phone (+digits)",
    )
    purpose: str = Field(
        pattern="^(" + "|".join(PURPOSES) + ")$",
        json_schema_extra={"enum": list(PURPOSES)},
        description="Why the partner asks; one of the purposes it is registered for",
    )
    scope: Scope = Field(
        default="threshold",
        description="What the partner will learn: threshold < band < score < score_reasons; "
        "watchlist stands apart",
    )
    duration_days: int = Field(
        default=30, ge=1, le=MAX_DURATION_DAYS, description="How long the grant runs once approved"
    )


class AuthorizationOut(Out):
    """A partner's view of one of its authorizations (never the person's identity)."""

    id: int
    status: Status = Field(description="pending, approved, refused, revoked or expired")
    purpose: str
    scope: Scope
    requested_at: Instant
    decided_at: Instant | None
    expires_at: Instant | None
    frozen_until: Instant | None = Field(description="The person cannot revoke before this")
    open_id: str | None = Field(
        description="The person's pseudonym for this partner, once approved"
    )


class FreezeIn(In):
    """Freeze an approved grant while a contract runs."""

    until: AwareDatetime = Field(description="End of the freeze, at most the grant's expiry")
    reason: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_CONTROL,
        description="Shown to the person, e.g. 'bike rental contract 2026-031'",
    )

    @field_validator("until")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("the instant is outside the years 1-9999 in UTC") from exc


AuthorizationId = Annotated[
    int, Path(ge=1, le=_MAX_ID, description="The authorization's id, as returned on request")
]


# --- queries ----------------------------------------------------------------------------------


class AdmittedOut(Out):
    """A threshold query's answer, and nothing else."""

    admitted: Literal["Y", "N", "N/A"] = Field(
        description="Y: score at or above min; N: below; N/A: no score to compare"
    )


class BandOut(Out):
    """A band query's answer (``band`` null means N/A)."""

    band: str | None
    as_of: Instant | None


class ScoreOut(Out):
    """A score query's answer (``score`` null means N/A)."""

    score: int | None
    band: str | None
    as_of: Instant | None
    model_version: str | None


class ReasonOut(Out):
    """One reason that lowered the score."""

    code: str
    text: str
    dimension: str


class ReasonsOut(ScoreOut):
    """A score-with-reasons query's answer."""

    reasons: list[ReasonOut]


class NegativeRecordOut(Out):
    """A default or a collection reported about the person."""

    occurred_on: date = Field(description="Day it occurred (UTC)")
    type: Literal["default", "collection"]
    amount_minor: int = Field(description="Amount outstanding, in minor units")
    currency: str = Field(description="ISO 4217 code")
    source: str = Field(description="The source that reported it")
    dispute_status: str = Field(
        description="'none' unless the person disputes the record; else pending, upheld (the "
        "person is right: the record is wrong) or rejected (the record stands)"
    )


class WatchlistOut(Out):
    """A watchlist query's answer: the person's negative records, newest first."""

    records: list[NegativeRecordOut]
    as_of: Instant


# --- feedback ---------------------------------------------------------------------------------


class FeedbackIn(In):
    """Events a partner that is also a source reports (repayments, defaults, …)."""

    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_FEEDBACK_EVENTS,
        description="Events in the JSON form of a line of a .jsonl ingest file (envelope and "
        "nested payload); `source` may be left out. Each is checked like a line of a file.",
    )


class RejectOut(Out):
    """Why one event was refused (never its values)."""

    index: int = Field(description="Position of the event in the request's list, from 0")
    field: str | None = Field(description="The field at fault, when it is a known field")
    reason: str = Field(description="Reject reason code, as file ingest reports it")
    detail: str


class FeedbackOut(Out):
    """What became of a feedback request's events."""

    received: int
    accepted: int
    duplicates: int = Field(description="Events the lake already held (re-sending is a no-op)")
    rejected: int
    rejected_by_reason: dict[str, int]
    rejects: list[RejectOut]


# --- disputes ---------------------------------------------------------------------------------


DisputeId = Annotated[int, Path(ge=1, le=_MAX_ID, description="The dispute's id")]


class SourceDisputeOut(Out):
    """A dispute of one of the source's records, as the source sees it: its own record and the
    person's statement, nothing else about the person."""

    id: int
    event_id: str = Field(description="The source's id of the disputed record")
    event_type: str
    occurred_at: Instant
    statement: str = Field(description="Why the person says the record is wrong")
    opened_at: Instant
    due_at: Instant = Field(
        description="Answer before this; an unanswered dispute is then upheld in the person's "
        "favour"
    )
    seconds_left: int = Field(description="Until due_at while pending, else 0")
    status: DisputeStatus = Field(
        description="pending, upheld (the record is wrong) or rejected (the record stands)"
    )
    resolved_at: Instant | None
    evidence: str | None = Field(description="The source's evidence, once it answered")


class SourceDisputesOut(Out):
    """The disputes of the source's records waiting for its answer, the first due first."""

    disputes: list[SourceDisputeOut]


class DisputeAnswerIn(In):
    """The source's answer to a dispute of one of its records."""

    outcome: Outcome = Field(
        description="upheld: the person is right, the record is wrong (it stays out of scoring "
        "for good); rejected: the record is right (it counts again)"
    )
    evidence: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        pattern=TEXT_PATTERN,
        description="What the answer rests on; the person reads it",
    )
