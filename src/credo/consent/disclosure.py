"""Minimal disclosure: what a partner learns from a person's current score, under its grant.

The answers are pure functions of a :class:`~credo.storage.snapshots.ScoreRecord`, each saying
no more than its scope (:mod:`credo.consent.grants`):

- ``threshold``: ``Y`` (score at or above the minimum), ``N``, or ``N/A`` (no published score,
  or too little data to score) and nothing else;
- ``band``: the band name; ``score``: score, band, as-of date and model version;
- ``score_reasons``: that plus the reason codes with their plain sentence (not the values);
- ``watchlist`` (apart from the ladder): the negative records of
  :mod:`credo.consent.watchlist`, each with its dispute status.

A threshold grant answers yes/no, but enough distinct thresholds would bisect the score: a
partner that asks more than :data:`PROBE_LIMIT` distinct thresholds about one person within
:data:`PROBE_WINDOW` is refused (:class:`~credo.errors.ProbeLimitError`); repeating a threshold
already asked is not a new probe. Partners whose grant discloses the score are not limited.

:class:`DisclosureService` is what the API calls: it decides, applies the probing rule and
appends the disclosure (or the refusal) to the audit chain in one transaction, before anything
is read, so no answer ever leaves without its audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import Connection, Engine, delete, insert, select, update

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.consent.grants import Grant, GrantDeniedError, GrantService, covers
from credo.consent.partners import Partner
from credo.consent.pseudonyms import parse_open_id
from credo.consent.watchlist import NegativeRecords, WatchlistAnswer
from credo.errors import InvalidInputError, ProbeLimitError
from credo.storage.snapshots import ScoreRecord
from credo.storage.tables import models, runs, threshold_probes

__all__ = [
    "PROBE_LIMIT",
    "PROBE_WINDOW",
    "SCORE_RANGE",
    "Admitted",
    "BandAnswer",
    "DisclosureService",
    "ReasonItem",
    "ReasonsAnswer",
    "ScoreAnswer",
    "ScoreSource",
    "band_answer",
    "is_probe_allowed",
    "score_answer",
    "score_reasons_answer",
    "threshold_answer",
]

Admitted = Literal["Y", "N", "N/A"]
SCORE_RANGE = (350, 950)
"""Thresholds a partner may ask (the score scale of DESIGN.md)."""
PROBE_LIMIT = 3
"""Distinct thresholds a partner may ask about one person within :data:`PROBE_WINDOW`."""
PROBE_WINDOW = timedelta(days=30)


class ScoreSource(Protocol):
    """Where a person's current score comes from (the snapshot store serves as one)."""

    def score(self, subject: str) -> ScoreRecord | None:
        """``subject``'s row in the current published snapshot, if any."""
        ...


@dataclass(frozen=True, slots=True)
class BandAnswer:
    """A band query's answer (``band`` None means N/A)."""

    band: str | None
    as_of: datetime | None


@dataclass(frozen=True, slots=True)
class ScoreAnswer:
    """A score query's answer (``score`` None means N/A)."""

    score: int | None
    band: str | None
    as_of: datetime | None
    model_version: str | None


@dataclass(frozen=True, slots=True)
class ReasonItem:
    """One reason that lowered the score: a stable code and a plain sentence."""

    code: str
    text: str
    dimension: str


@dataclass(frozen=True, slots=True)
class ReasonsAnswer:
    """A score-with-reasons query's answer."""

    score: int | None
    band: str | None
    as_of: datetime | None
    model_version: str | None
    reasons: tuple[ReasonItem, ...]


def _scored(record: ScoreRecord | None) -> ScoreRecord | None:
    return record if record is not None and record.score is not None else None


def threshold_answer(record: ScoreRecord | None, minimum: int) -> Admitted:
    """``Y`` when the score is at least ``minimum``, ``N`` when below, ``N/A`` when there is no
    score to compare."""
    scored = _scored(record)
    if scored is None or scored.score is None:
        return "N/A"
    return "Y" if scored.score >= minimum else "N"


def band_answer(record: ScoreRecord | None) -> BandAnswer:
    """The band alone."""
    scored = _scored(record)
    if scored is None:
        return BandAnswer(band=None, as_of=None if record is None else record.as_of)
    return BandAnswer(band=scored.band, as_of=scored.as_of)


def score_answer(record: ScoreRecord | None, *, model_version: str | None = None) -> ScoreAnswer:
    """Score, band, as-of date and the model that computed them."""
    scored = _scored(record)
    return ScoreAnswer(
        score=None if scored is None else scored.score,
        band=None if scored is None else scored.band,
        as_of=None if record is None else record.as_of,
        model_version=None if record is None else model_version,
    )


def score_reasons_answer(
    record: ScoreRecord | None, *, model_version: str | None = None
) -> ReasonsAnswer:
    """The score answer plus each reason's code, sentence and dimension (tips, values and
    points stay with the person)."""
    base = score_answer(record, model_version=model_version)
    raw: list[Mapping[str, Any]] = [] if record is None else record.detail.get("reasons", [])
    reasons = tuple(
        ReasonItem(code=str(r["code"]), text=str(r["text"]), dimension=str(r["dimension"]))
        for r in raw
    )
    return ReasonsAnswer(base.score, base.band, base.as_of, base.model_version, reasons)


def is_probe_allowed(
    asked: Mapping[int, datetime],
    threshold: int,
    now: datetime,
    *,
    limit: int = PROBE_LIMIT,
    window: timedelta = PROBE_WINDOW,
) -> bool:
    """Whether asking ``threshold`` now keeps a partner within ``limit`` distinct thresholds
    for one person in ``window``; ``asked`` maps each threshold to when it was last asked.

    >>> from datetime import UTC
    >>> now = datetime(2026, 11, 1, tzinfo=UTC)
    >>> asked = {600: now, 650: now, 700: now}
    >>> is_probe_allowed(asked, 650, now), is_probe_allowed(asked, 675, now)
    (True, False)
    """
    recent = {t for t, at in asked.items() if at > now - window}
    return threshold in recent or len(recent) < limit


def _check_minimum(minimum: int) -> int:
    low, high = SCORE_RANGE
    if isinstance(minimum, bool) or not isinstance(minimum, int) or not low <= minimum <= high:
        raise InvalidInputError(f"a threshold is a score from {low} to {high}; got {minimum!r}")
    return minimum


class DisclosureService:
    """Authorized, audited, minimal answers to partners' queries."""

    def __init__(
        self,
        engine: Engine,
        grants: GrantService,
        scores: ScoreSource,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._engine = engine
        self._grants = grants
        self._scores = scores
        self._audit = audit
        self._clock = clock
        self._versions: dict[int, str | None] = {}

    def authorize(
        self, partner: Partner, open_id: str, scope: str, *, threshold: int | None = None
    ) -> Grant:
        """Decide a query needing ``scope`` and record it in the audit chain.

        Raises GrantDeniedError (with :func:`~credo.consent.grants.decide`'s reason) or
        ProbeLimitError; the refusal is recorded too. ``threshold`` subjects the query to the
        probing rule.
        """
        parse_open_id(open_id)
        refusal: GrantDeniedError | ProbeLimitError | None = None
        with self._audit.writing() as conn:
            decision, grant = self._grants.check(partner, open_id, scope, conn=conn)
            subject = None if grant is None else grant.subject
            detail: dict[str, Any] = {
                "authorization": None if grant is None else grant.id,
                "partner": partner.name,
                "scope": scope,
            }
            if threshold is not None:
                detail["threshold"] = threshold
            if not decision.allowed or grant is None:
                detail["reason"] = decision.reason
                self._audit.append(partner.actor, "disclosure.denied", subject, detail, conn=conn)
                refusal = GrantDeniedError(
                    decision.reason, f"no grant covers this {scope} query ({decision.reason})"
                )
            elif threshold is not None and not self._admit(conn, grant, threshold):
                detail["reason"] = "probe_limit"
                self._audit.append(partner.actor, "disclosure.denied", subject, detail, conn=conn)
                refusal = ProbeLimitError(
                    f"partner {partner.name!r} asked {PROBE_LIMIT} distinct thresholds about "
                    f"this person in the last {PROBE_WINDOW.days} days; another would reveal "
                    "the score"
                )
            else:
                self._audit.append(partner.actor, f"disclosure.{scope}", subject, detail, conn=conn)
        if refusal is not None:
            raise refusal
        assert grant is not None
        return grant

    def threshold(self, partner: Partner, open_id: str, minimum: int) -> Admitted:
        """Whether the person's score is at least ``minimum``: ``Y``, ``N`` or ``N/A``."""
        grant = self.authorize(partner, open_id, "threshold", threshold=_check_minimum(minimum))
        return threshold_answer(self._scores.score(grant.subject), minimum)

    def band(self, partner: Partner, open_id: str) -> BandAnswer:
        """The person's band."""
        grant = self.authorize(partner, open_id, "band")
        return band_answer(self._scores.score(grant.subject))

    def score(self, partner: Partner, open_id: str) -> ScoreAnswer:
        """The person's score, band, as-of date and model version."""
        grant = self.authorize(partner, open_id, "score")
        record = self._scores.score(grant.subject)
        return score_answer(record, model_version=self._model_version(record))

    def score_reasons(self, partner: Partner, open_id: str) -> ReasonsAnswer:
        """The score answer with its reason codes."""
        grant = self.authorize(partner, open_id, "score_reasons")
        record = self._scores.score(grant.subject)
        return score_reasons_answer(record, model_version=self._model_version(record))

    def _admit(self, conn: Connection, grant: Grant, threshold: int) -> bool:
        """Apply the probing rule and remember the threshold (under the chain's lock, so
        concurrent queries cannot both take the last free slot)."""
        if covers(grant.scope, "score"):
            return True
        now = self._clock.now()
        mine = (threshold_probes.c.partner_id == grant.partner_id) & (
            threshold_probes.c.subject == grant.subject
        )
        conn.execute(
            delete(threshold_probes).where(mine, threshold_probes.c.at <= now - PROBE_WINDOW)
        )
        asked = {
            int(t): at
            for t, at in conn.execute(
                select(threshold_probes.c.threshold, threshold_probes.c.at).where(mine)
            )
        }
        if not is_probe_allowed(asked, threshold, now):
            return False
        if threshold in asked:
            conn.execute(
                update(threshold_probes)
                .where(mine, threshold_probes.c.threshold == threshold)
                .values(at=now)
            )
        else:
            conn.execute(
                insert(threshold_probes).values(
                    partner_id=grant.partner_id, subject=grant.subject, threshold=threshold, at=now
                )
            )
        return True

    def _model_version(self, record: ScoreRecord | None) -> str | None:
        if record is None:
            return None
        if record.run_id not in self._versions:
            query = (
                select(models.c.version)
                .select_from(runs.join(models, models.c.id == runs.c.model_id))
                .where(runs.c.id == record.run_id)
            )
            with self._engine.connect() as conn:
                self._versions[record.run_id] = conn.execute(query).scalar()
        return self._versions[record.run_id]

    def watchlist(
        self, partner: Partner, open_id: str, records: NegativeRecords
    ) -> WatchlistAnswer:
        """The person's negative records (defaults and collections) with their dispute status,
        read from ``records`` once the ``watchlist`` query is authorized and recorded."""
        grant = self.authorize(partner, open_id, "watchlist")
        return WatchlistAnswer(records=records.records(grant.subject), as_of=self._clock.now())
