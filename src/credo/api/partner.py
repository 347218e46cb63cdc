"""Partner routes under ``/v1/partner``: authorizations, queries behind the person's grant, and
data feedback and dispute answers from partners that are also sources.

Every route authenticates the partner's API key and takes a token from its rate-limit bucket
(:mod:`credo.api.ratelimit`) before doing anything else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from credo.api.deps import HomeDep, OpenId, PartnerDep
from credo.api.models import ErrorOut
from credo.api.partner_models import (
    AdmittedOut,
    AuthorizationId,
    AuthorizationIn,
    AuthorizationOut,
    BandOut,
    DisputeAnswerIn,
    DisputeId,
    FeedbackIn,
    FeedbackOut,
    FreezeIn,
    ReasonsOut,
    RejectOut,
    ScoreOut,
    SourceDisputeOut,
    SourceDisputesOut,
    WatchlistOut,
)
from credo.api.ratelimit import RateLimiter
from credo.consent.grants import PartnerGrant
from credo.consent.watchlist import NegativeRecords
from credo.errors import ConsentDeniedError
from credo.events.ingest import IngestReport
from credo.events.schemas import ENVELOPE_FIELDS, payload_columns
from credo.home import Home
from credo.rights.disputes import Dispute

__all__ = ["partner_routes"]

_KNOWN_FIELDS = frozenset({"type", *ENVELOPE_FIELDS, *payload_columns()})


def _feedback_out(report: IngestReport) -> FeedbackOut:
    kept = report.rejected_records
    rejects = (
        []
        if kept is None
        else [
            RejectOut(
                index=row - 1,
                # a field name outside the schema was chosen by the caller: not echoed
                field=fld if fld in _KNOWN_FIELDS else None,
                reason=reason,
                detail=detail,
            )
            for row, fld, reason, detail in zip(
                kept.rows, kept.fields, kept.reasons, kept.details, strict=True
            )
        ]
    )
    return FeedbackOut(
        received=report.read,
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected=report.rejected,
        rejected_by_reason=dict(sorted(report.by_reason.items())),
        rejects=sorted(rejects, key=lambda r: r.index),
    )


# --- dependencies -----------------------------------------------------------------------------


async def _within_rate(request: Request, partner: PartnerDep) -> None:  # in memory
    limiter: RateLimiter = request.app.state.partner_limiter
    limiter.acquire(partner.id, who=f"partner {partner.name!r}")


def _source_name(partner: PartnerDep, home: HomeDep) -> str:
    """The source a partner reports as: itself, when it is a source registered under its name."""
    if not partner.is_source or partner.name not in home.sources.find([partner.name]):
        raise ConsentDeniedError(f"partner {partner.name!r} is not a registered source")
    return partner.name


def _negative_records(home: HomeDep) -> NegativeRecords:
    return home.watchlist


SourceName = Annotated[str, Depends(_source_name)]
NegativeRecordsDep = Annotated[NegativeRecords, Depends(_negative_records)]

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until a request will be accepted (rate_limited only)",
        "schema": {"type": "integer"},
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing, unknown or disabled API key"},
    403: {"model": ErrorOut, "description": "No authorization covers this request"},
    422: {"model": ErrorOut, "description": "The request breaks a documented rule"},
    429: {
        "model": ErrorOut,
        "description": "Rate limit (rate_limited) or too many thresholds for one person",
        "headers": _RETRY_AFTER,
    },
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such authorization of this partner"}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The authorization is not approved"}
}
_DISPUTE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such dispute of this source"},
    409: {"model": ErrorOut, "description": "Answered already, or the time to answer is over"},
}


def partner_routes() -> APIRouter:
    """The partner router (a new one per app: no import-time state)."""
    router = APIRouter(
        prefix="/v1/partner",
        tags=["partner"],
        dependencies=[Depends(_within_rate)],
        responses=_ERRORS,
    )

    @router.post("/authorizations", status_code=201)
    def request_authorization(
        body: AuthorizationIn, partner: PartnerDep, home: HomeDep
    ) -> AuthorizationOut:
        """Ask a person for access; they approve or refuse it in their own space. Asking again
        while a request is pending returns that request."""
        grant = home.grants.request(
            partner,
            body.identifier,
            purpose=body.purpose,
            scope=body.scope,
            duration_days=body.duration_days,
        )
        return _authorization(grant.for_partner(home.clock.now()))

    @router.get("/authorizations/{authorization_id}", responses=_NOT_FOUND)
    def authorization(
        authorization_id: AuthorizationId, partner: PartnerDep, home: HomeDep
    ) -> AuthorizationOut:
        """The state of one of the partner's authorizations; ``open_id`` once approved."""
        return _authorization(home.grants.status_for_partner(partner, authorization_id))

    @router.post("/authorizations/{authorization_id}/freeze", responses={**_NOT_FOUND, **_CONFLICT})
    def freeze(
        authorization_id: AuthorizationId, body: FreezeIn, partner: PartnerDep, home: HomeDep
    ) -> AuthorizationOut:
        """Freeze an approved grant while a contract runs: the person cannot revoke it before
        ``until`` and sees ``reason``."""
        grant = home.grants.freeze(partner, authorization_id, until=body.until, reason=body.reason)
        return _authorization(grant.for_partner(home.clock.now()))

    # the hot path runs on the event loop, not in the thread pool: its store calls take well
    # under a millisecond, and threads queueing for the audit chain's lock while fighting for
    # the GIL halved the throughput (bench/api.py: 256 -> 447 requests/s on 2 workers)
    @router.get("/subjects/{open_id}/threshold")
    async def threshold(
        open_id: OpenId,
        partner: PartnerDep,
        home: HomeDep,
        minimum: Annotated[int, Query(alias="min", ge=350, le=950)],
    ) -> AdmittedOut:
        """Whether the person's score is at least ``min``: ``Y``, ``N`` or ``N/A``, nothing
        else (the default, minimal disclosure)."""
        return AdmittedOut(admitted=home.disclosures.threshold(partner, open_id, minimum))

    @router.get("/subjects/{open_id}/band")
    def band(open_id: OpenId, partner: PartnerDep, home: HomeDep) -> BandOut:
        """The person's band and as-of date (scope ``band`` or wider)."""
        return BandOut.model_validate(home.disclosures.band(partner, open_id))

    @router.get("/subjects/{open_id}/score")
    def score(open_id: OpenId, partner: PartnerDep, home: HomeDep) -> ScoreOut:
        """Score, band, as-of date and model version (scope ``score`` or wider)."""
        return ScoreOut.model_validate(home.disclosures.score(partner, open_id))

    @router.get("/subjects/{open_id}/score_reasons")
    def score_reasons(open_id: OpenId, partner: PartnerDep, home: HomeDep) -> ReasonsOut:
        """The score with its reason codes and sentences (scope ``score_reasons``)."""
        return ReasonsOut.model_validate(home.disclosures.score_reasons(partner, open_id))

    @router.get("/subjects/{open_id}/watchlist")
    def watchlist(
        open_id: OpenId, partner: PartnerDep, home: HomeDep, records: NegativeRecordsDep
    ) -> WatchlistOut:
        """The person's defaults and collections with their dispute status (scope
        ``watchlist``, which no other scope covers)."""
        return WatchlistOut.model_validate(home.disclosures.watchlist(partner, open_id, records))

    @router.post("/feedback")
    def feedback(body: FeedbackIn, source: SourceName, home: HomeDep) -> FeedbackOut:
        """Report events as the source this partner is (repayments, defaults, …): each is
        validated and consent-checked exactly like a line of an ingest file, and the accepted
        ones are appended to the lake in one commit."""
        report = home.ingestor().ingest_records(
            body.events, source=source, input_name="api:feedback"
        )
        return _feedback_out(report)

    @router.get("/disputes")
    def disputes(source: SourceName, home: HomeDep) -> SourceDisputesOut:
        """Disputes of this source's records waiting for its answer, the first due first:
        the record (event id, type, date) and the person's statement, nothing more."""
        waiting = home.disputes.for_source(source)
        return SourceDisputesOut(disputes=[_source_dispute(d, home) for d in waiting])

    @router.post("/disputes/{dispute_id}/answer", responses=_DISPUTE_ERRORS)
    def answer_dispute(
        dispute_id: DisputeId, body: DisputeAnswerIn, source: SourceName, home: HomeDep
    ) -> SourceDisputeOut:
        """Answer a dispute before its ``due_at``: ``upheld`` (the record is wrong and stays
        out of scoring for good) or ``rejected`` (the record stands), with evidence the person
        reads. The person is re-scored at once."""
        dispute = home.disputes.answer(
            source, dispute_id, outcome=body.outcome, evidence=body.evidence
        )
        return _source_dispute(dispute, home)

    return router


def _source_dispute(dispute: Dispute, home: Home) -> SourceDisputeOut:
    now = home.clock.now()
    return SourceDisputeOut(
        id=dispute.id,
        event_id=dispute.event_id,
        event_type=dispute.event_type,
        occurred_at=dispute.occurred_at,
        statement=dispute.statement,
        opened_at=dispute.opened_at,
        due_at=dispute.due_at,
        seconds_left=dispute.seconds_left(now),
        status=dispute.status_at(now),
        resolved_at=dispute.resolved_at,
        evidence=dispute.evidence,
    )


def _authorization(grant: PartnerGrant) -> AuthorizationOut:
    return AuthorizationOut.model_validate(grant)
