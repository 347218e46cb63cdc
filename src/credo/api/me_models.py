"""Request and response bodies of the people's routes (:mod:`credo.api.me`).

Named by role (``…In`` for requests, ``…Out`` for responses); requests refuse unknown fields
and bound every string, so the OpenAPI document says all a client (or a fuzzer) may send.
Instants are written like the partner routes write them (:data:`credo.api.models.Instant`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from credo.api.models import NO_CONTROL, In, Instant
from credo.consent.grants import Status
from credo.consent.people import CODE_DIGITS, PASSWORD_MAX
from credo.events.schemas import Category
from credo.rights.disputes import MAX_TEXT_CHARS, TEXT_PATTERN, ResolvedBy
from credo.rights.disputes import Status as DisputeStatus

__all__ = [
    "AccessLogOut",
    "AccessOut",
    "BandInfoOut",
    "CodeLoginIn",
    "ConsentChangeIn",
    "ConsentOut",
    "ConsentsIn",
    "ConsentsOut",
    "DisputeIn",
    "DisputeOut",
    "DisputesOut",
    "ErasureIn",
    "ErasureOut",
    "GapOut",
    "GrantOut",
    "GrantsOut",
    "HistoryOut",
    "MonthOut",
    "MoverOut",
    "PasswordLoginIn",
    "PrivilegeOut",
    "PrivilegesOut",
    "RaiseOut",
    "ReachOut",
    "ReasonTipOut",
    "ScoreReportOut",
    "SessionOut",
]

Scalar = bool | int | float | str | None
"""A characteristic's or a fact's value as the snapshot recorded it."""
Identifier = Annotated[
    str,
    StringConstraints(min_length=3, max_length=64),
    Field(description="National id or phone (+country code), as the sources know the person"),
]


# --- login ------------------------------------------------------------------------------------


class PasswordLoginIn(In):
    """Log in with a password."""

    identifier: Identifier
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class CodeLoginIn(In):
    """Log in with a one-time code."""

    identifier: Identifier
    code: Annotated[str, StringConstraints(pattern=rf"^[0-9]{{{CODE_DIGITS}}}$")]


class SessionOut(BaseModel):
    """A session token: send it as ``Authorization: Bearer <token>``."""

    token: str
    expires_at: Instant


# --- score, history, privileges ---------------------------------------------------------------


class BandInfoOut(BaseModel):
    """A score band and its bounds (inclusive)."""

    name: str
    name_zh: str = Field(description="The band's Chinese name")
    low: int | None
    high: int | None


class ReasonTipOut(BaseModel):
    """A characteristic that cost points, why it matters and what to do about it."""

    code: str = Field(description="Stable reason code")
    characteristic: str
    dimension: str
    text: str
    tip: str = ""
    points_lost: float = Field(description="Points below the best attainable bin")
    value: Scalar = None
    value_text: str = ""


class RaiseOut(BaseModel):
    """The one change that would raise the score most, toward the next band."""

    characteristic: str
    text: str
    tip: str = ""
    from_value: Scalar = Field(default=None, validation_alias="from")
    to_value: Scalar = Field(default=None, validation_alias="to")
    from_text: str = ""
    to_text: str = ""
    points: float = Field(description="Points it would add")
    new_score: int
    target: int | None = Field(default=None, description="The next band's lowest score")


class ScoreReportOut(BaseModel):
    """A person's current score (``score`` null means N/A, see ``na_reason``)."""

    as_of: Instant
    model_version: str | None
    score: int | None
    na_reason: str | None
    band: BandInfoOut | None
    percentile: float | None = Field(description="Share of people scored lower (0-100)")
    dimensions: dict[str, float] = Field(description="Dimension scores, 0-100")
    reasons: list[ReasonTipOut]
    what_would_raise_it: RaiseOut | None


class MoverOut(BaseModel):
    """A characteristic whose points moved since the month before."""

    characteristic: str
    text: str
    points: float = Field(description="Points gained (positive) or lost (negative)")


class MonthOut(BaseModel):
    """One month's published score."""

    as_of: Instant
    score: int | None
    na_reason: str | None
    band: str | None
    percentile: float | None
    change: int | None = Field(description="Score minus the month before's, when both scored")
    movers: list[MoverOut]
    same_model: bool | None = Field(description="Whether both months used the same model")


class HistoryOut(BaseModel):
    """Monthly scores, oldest first."""

    months: list[MonthOut]


class PrivilegeOut(BaseModel):
    """A privilege of the catalogue (only the key of one since retired from it)."""

    key: str
    name: str
    benefit: str | None
    partner: str | None
    category: str | None


class GapOut(BaseModel):
    """One unmet condition of a privilege's rule."""

    fact: str
    expression: str
    required: Scalar
    current: Scalar
    distance: float | None
    shortfall: str = Field(description='What is missing in words, e.g. "38 points short"')


class ReachOut(PrivilegeOut):
    """A privilege just out of reach and what is missing for it."""

    missing: list[GapOut]


class PrivilegesOut(BaseModel):
    """The privileges held and those within reach, as of the current snapshot."""

    as_of: Instant
    held: list[PrivilegeOut]
    within_reach: list[ReachOut]


# --- consents, grants, access log -------------------------------------------------------------


class ConsentOut(BaseModel):
    """A collection choice: a data category, from every source (``*``) or one."""

    category: str
    source: str
    granted: bool
    since: Instant


class ConsentsOut(BaseModel):
    """A person's collection choices (no choice for a category means no)."""

    consents: list[ConsentOut]


class ConsentChangeIn(In):
    """Grant or withdraw the collection of one data category."""

    category: Category
    source: Annotated[
        str,
        StringConstraints(pattern=r"^(\*|[a-z][a-z0-9_]{1,62})$"),
        Field(description="A registered source, or * for every source"),
    ] = "*"
    action: Literal["grant", "withdraw"]


class ConsentsIn(In):
    """Changes applied together."""

    changes: list[ConsentChangeIn] = Field(min_length=1, max_length=50)


class GrantOut(BaseModel):
    """A partner's request or a grant, as the person sees it."""

    id: int
    partner: str
    purpose: str
    purpose_text: str
    scope: str = Field(description="threshold < band < score < score_reasons; or watchlist")
    status: Status
    duration_days: int
    requested_at: Instant
    decided_at: Instant | None
    expires_at: Instant | None
    revoked_at: Instant | None
    frozen: bool = Field(description="Frozen by the partner now: not revocable until then")
    frozen_until: Instant | None
    freeze_reason: str | None


class GrantsOut(BaseModel):
    """Requests and grants, newest first."""

    grants: list[GrantOut]


class AccessOut(BaseModel):
    """One partner query about the person, answered or denied."""

    id: int = Field(description="The audit chain entry")
    at: Instant
    partner: str
    scope: str
    authorization: int | None = Field(description="The grant it was asked under")
    threshold: int | None
    denied: bool
    reason: str | None = Field(description="Why it was denied (no_grant, revoked, …)")


class AccessLogOut(BaseModel):
    """Partner queries, newest first."""

    entries: list[AccessOut]


# --- disputes ---------------------------------------------------------------------------------


class DisputeIn(In):
    """Dispute one of my records (an event, or a default or collection partners see on the
    watchlist), known by its source and the source's id of it (as in my data export)."""

    source: Annotated[
        str,
        StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,62}$"),
        Field(description="The source that reported the record"),
    ]
    event_id: Annotated[
        str,
        StringConstraints(min_length=1, max_length=128, pattern=NO_CONTROL),
        Field(description="The source's id of the record"),
    ]
    statement: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS, pattern=TEXT_PATTERN),
        Field(description="Why the record is wrong; the source reads it"),
    ]


class DisputeOut(BaseModel):
    """One of my disputes and where it stands."""

    id: int
    source: str
    event_id: str
    event_type: str
    occurred_at: Instant
    statement: str
    status: DisputeStatus = Field(
        description="pending (the record is left out of my score meanwhile); upheld (I am "
        "right: the record stays out for good); rejected (the record stands and counts again)"
    )
    opened_at: Instant
    due_at: Instant = Field(
        description="When the source's time to answer ends; unanswered, the dispute is upheld"
    )
    seconds_left: int = Field(description="Until due_at while pending, else 0")
    jurisdiction: str = Field(description="Whose law set the period")
    resolved_by: ResolvedBy | None = Field(
        description="source (it answered) or clock (it did not answer in time)"
    )
    resolved_at: Instant | None
    evidence: str | None = Field(description="The source's evidence, when it answered")


class DisputesOut(BaseModel):
    """My disputes, newest first."""

    disputes: list[DisputeOut]


# --- erasure ----------------------------------------------------------------------------------

ERASE_CONFIRMATION = "erase everything credo holds about me"


class ErasureIn(In):
    """Erase me: every record credo holds about me, for good. Type the confirmation phrase."""

    confirm: Literal["erase everything credo holds about me"] = Field(
        description=f"Exactly {ERASE_CONFIRMATION!r}: there is no undo"
    )


class ErasureOut(BaseModel):
    """What the erasure removed; my session ended with it."""

    removed: dict[str, int] = Field(description="Records removed from the store, per kind")
    audit_entries: int = Field(
        description="Entries of the audit chain about me, kept as a PII-free tombstone: nothing "
        "in them can be tied to me any more"
    )
    events_purged: bool = Field(
        description="True when my events are already gone from the lake; otherwise they go at "
        "the start of the next monthly run, before it reads anything"
    )
