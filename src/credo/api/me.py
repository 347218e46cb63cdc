"""People's routes under ``/v1``: logging in, then their own score, history, privileges,
consents, grants, access log, disputes, export and erasure.

The ``…_out`` readers turn what the services hold into the response models; the dashboard's
pages (:mod:`credo.web`) render the same models through the same readers.

Every ``/v1/me`` route acts for the subject of the session token and for no one else: the
subject comes from the token, never from the request, and a grant id of another person is
answered like a missing one (404), so it does not tell that the grant exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response

from credo.api.deps import HomeDep, bearer
from credo.api.me_models import (
    AccessLogOut,
    AccessOut,
    BandInfoOut,
    CodeLoginIn,
    ConsentOut,
    ConsentsIn,
    ConsentsOut,
    DisputeIn,
    DisputeOut,
    DisputesOut,
    ErasureIn,
    ErasureOut,
    GrantOut,
    GrantsOut,
    HistoryOut,
    MonthOut,
    MoverOut,
    PasswordLoginIn,
    PrivilegeOut,
    PrivilegesOut,
    RaiseOut,
    ReachOut,
    ReasonTipOut,
    ScoreReportOut,
    SessionOut,
)
from credo.api.models import ErrorOut
from credo.consent.grants import Grant
from credo.consent.partners import PURPOSES
from credo.consent.people import change_consents
from credo.errors import NotFoundError
from credo.home import Home
from credo.loyalty.catalogue import Catalogue, privileges_catalogue
from credo.rights.disputes import Dispute
from credo.rights.export import export_person
from credo.storage.snapshots import ScoreRecord

__all__ = [
    "access_log_out",
    "consents_out",
    "dispute_out",
    "grant_out",
    "history_out",
    "me_routes",
    "privileges_out",
    "score_report_out",
]

Responses = dict[int | str, dict[str, Any]]


def _error(status: int, description: str) -> Responses:
    return {status: {"model": ErrorOut, "description": description}}


_401 = _error(401, "No live session token")
_404 = _error(404, "Nothing of the kind for this person")
_409 = _error(409, "The grant's state does not allow this")
_409_DISPUTED = _error(409, "The record is disputed already (a record is disputed once)")
_422 = _error(422, "The request breaks a documented rule")
GrantId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The authorization's id")]


async def _token(
    authorization: Annotated[str | None, Header(description="Bearer <session token>")] = None,
) -> str:
    return bearer(authorization, "session token")


TokenDep = Annotated[str, Depends(_token)]


def _subject(home: HomeDep, token: TokenDep) -> str:
    return home.people.authenticate(token)


SubjectDep = Annotated[str, Depends(_subject)]
"""The subject token of the person whose session sent the request."""


def _current(home: Home, subject: str) -> ScoreRecord:
    record = home.snapshots.score(subject)
    if record is None:
        raise NotFoundError("no published score for this person yet")
    return record


def _band(home: Home, name: str | None) -> BandInfoOut | None:
    for band in home.settings.scoring.bands:
        if band.name == name:
            return BandInfoOut(name=band.name, name_zh=band.name_zh, low=band.low, high=band.high)
    return None if name is None else BandInfoOut(name=name, name_zh="", low=None, high=None)


def score_report_out(home: Home, record: ScoreRecord) -> ScoreReportOut:
    detail = record.detail
    improvement = detail.get("raise")
    return ScoreReportOut(
        as_of=record.as_of,
        model_version=home.snapshots.model_version(record.run_id),
        score=record.score,
        na_reason=record.na_reason,
        band=_band(home, record.band),
        percentile=record.percentile,
        dimensions=detail.get("dims", {}),
        reasons=[ReasonTipOut.model_validate(r) for r in detail.get("reasons", [])],
        what_would_raise_it=None if improvement is None else RaiseOut.model_validate(improvement),
    )


def history_out(records: list[ScoreRecord]) -> HistoryOut:
    months: list[MonthOut] = []
    before: int | None = None
    for record in records:
        change = record.detail.get("change") or {}
        months.append(
            MonthOut(
                as_of=record.as_of,
                score=record.score,
                na_reason=record.na_reason,
                band=record.band,
                percentile=record.percentile,
                change=None if record.score is None or before is None else record.score - before,
                movers=[MoverOut.model_validate(m) for m in change.get("movers", [])],
                same_model=change.get("same_model"),
            )
        )
        before = record.score
    return HistoryOut(months=months)


def _privilege(catalogue: Catalogue, key: str) -> dict[str, Any]:
    if key in catalogue:
        known = catalogue[key]
        return {
            "key": key,
            "name": known.name,
            "benefit": known.benefit,
            "partner": known.partner,
            "category": known.category,
        }
    # a privilege retired from the catalogue since the run still shows, by its key
    return {"key": key, "name": key, "benefit": None, "partner": None, "category": None}


def privileges_out(catalogue: Catalogue, record: ScoreRecord) -> PrivilegesOut:
    status: Mapping[str, Any] = record.detail.get("privileges") or {}
    return PrivilegesOut(
        as_of=record.as_of,
        held=[PrivilegeOut(**_privilege(catalogue, k)) for k in status.get("held", [])],
        within_reach=[
            ReachOut(**_privilege(catalogue, r["privilege"]), missing=r["missing"])
            for r in status.get("within_reach", [])
        ],
    )


def consents_out(home: Home, subject: str) -> ConsentsOut:
    rows = home.consents.show_subject(subject)
    return ConsentsOut(
        consents=[ConsentOut(category=c, source=s, granted=g, since=at) for c, s, g, at in rows]
    )


def grant_out(grant: Grant, home: Home) -> GrantOut:
    now = home.clock.now()
    return GrantOut(
        id=grant.id,
        partner=grant.partner,
        purpose=grant.purpose,
        purpose_text=PURPOSES.get(grant.purpose, ""),
        scope=grant.scope,
        status=grant.status_at(now),
        duration_days=grant.duration_days,
        requested_at=grant.requested_at,
        decided_at=grant.decided_at,
        expires_at=grant.expires_at,
        revoked_at=grant.revoked_at,
        frozen=grant.is_frozen(now),
        frozen_until=grant.frozen_until,
        freeze_reason=grant.freeze_reason,
    )


def dispute_out(dispute: Dispute, home: Home) -> DisputeOut:
    now = home.clock.now()
    return DisputeOut(
        id=dispute.id,
        source=dispute.source,
        event_id=dispute.event_id,
        event_type=dispute.event_type,
        occurred_at=dispute.occurred_at,
        statement=dispute.statement,
        status=dispute.status_at(now),
        opened_at=dispute.opened_at,
        due_at=dispute.due_at,
        seconds_left=dispute.seconds_left(now),
        jurisdiction=dispute.jurisdiction,
        resolved_by=dispute.resolved_by,
        resolved_at=dispute.resolved_at,
        evidence=dispute.evidence,
    )


def access_log_out(home: Home, subject: str, limit: int) -> AccessLogOut:
    entries = []
    for entry in home.audit.disclosures_for(subject, limit=limit):
        detail = entry.detail
        denied = entry.action == "disclosure.denied"
        entries.append(
            AccessOut(
                id=entry.id,
                at=entry.at,
                partner=str(detail.get("partner") or entry.actor.removeprefix("partner:")),
                scope=str(detail.get("scope") or entry.action.removeprefix("disclosure.")),
                authorization=detail.get("authorization"),
                threshold=detail.get("threshold"),
                denied=denied,
                reason=detail.get("reason") if denied else None,
            )
        )
    return AccessLogOut(entries=entries)


def me_routes() -> APIRouter:
    """The people's router (a new one per app: no import-time state)."""
    router = APIRouter(prefix="/v1", tags=["people"], responses={**_401, **_422})
    catalogue: list[Catalogue] = []

    def configured_catalogue(home: Home) -> Catalogue:
        if not catalogue:
            catalogue.append(privileges_catalogue(home.settings.scoring))
        return catalogue[0]

    @router.post("/login")
    def login(body: Annotated[PasswordLoginIn | CodeLoginIn, Body()], home: HomeDep) -> SessionOut:
        """Exchange an identifier and a password (or a one-time code) for a session token;
        send it as ``Authorization: Bearer <token>`` until ``expires_at``."""
        if isinstance(body, PasswordLoginIn):
            session = home.people.login(body.identifier, body.password)
        else:
            session = home.people.login_with_code(body.identifier, body.code)
        return SessionOut(token=session.token, expires_at=session.expires_at)

    @router.post("/logout", status_code=204, response_class=Response)
    def logout(token: TokenDep, _me: SubjectDep, home: HomeDep) -> None:
        """End this session: its token stops working at once."""
        home.people.logout(token)

    @router.get("/me/score", responses=_404)
    def my_score(subject: SubjectDep, home: HomeDep) -> ScoreReportOut:
        """My current score: band (with its Chinese name), percentile, the five dimension
        scores, the reasons with tips, what would raise it, as-of date and model version; N/A
        with its reason when there was too little data to score."""
        return score_report_out(home, _current(home, subject))

    @router.get("/me/history")
    def my_history(subject: SubjectDep, home: HomeDep) -> HistoryOut:
        """My scores over the published monthly runs, oldest first, with what moved each
        month."""
        return history_out(home.snapshots.history(subject))

    @router.get("/me/privileges", responses=_404)
    def my_privileges(subject: SubjectDep, home: HomeDep) -> PrivilegesOut:
        """The privileges my current score earns, and those within reach with what is
        missing."""
        record = _current(home, subject)
        return privileges_out(configured_catalogue(home), record)

    @router.get("/me/consents")
    def my_consents(subject: SubjectDep, home: HomeDep) -> ConsentsOut:
        """My collection consents: per data category, for every source (``*``) or one."""
        return consents_out(home, subject)

    @router.put("/me/consents")
    def change_my_consents(body: ConsentsIn, subject: SubjectDep, home: HomeDep) -> ConsentsOut:
        """Grant or withdraw collection consents (recorded in the audit chain); the next
        ingest and monthly run follow them. Answers with all my consents."""
        choices = [(c.category, c.source, c.action == "grant") for c in body.changes]
        change_consents(home.consents, home.sources, home.audit, subject, choices)
        return consents_out(home, subject)

    @router.get("/me/grants")
    def my_grants(subject: SubjectDep, home: HomeDep) -> GrantsOut:
        """Partners' requests waiting for my answer and my grants, newest first."""
        return GrantsOut(grants=[grant_out(g, home) for g in home.grants.grants_for(subject)])

    @router.post("/me/grants/{grant_id}/approve", responses={**_404, **_409})
    def approve_grant(grant_id: GrantId, subject: SubjectDep, home: HomeDep) -> GrantOut:
        """Approve a pending request: the partner may ask within the scope until it expires."""
        return grant_out(home.grants.approve(subject, grant_id), home)

    @router.post("/me/grants/{grant_id}/refuse", responses={**_404, **_409})
    def refuse_grant(grant_id: GrantId, subject: SubjectDep, home: HomeDep) -> GrantOut:
        """Refuse a pending request."""
        return grant_out(home.grants.refuse(subject, grant_id), home)

    @router.post("/me/grants/{grant_id}/revoke", responses={**_404, **_409})
    def revoke_grant(grant_id: GrantId, subject: SubjectDep, home: HomeDep) -> GrantOut:
        """Revoke a grant at once; while the partner has frozen it (a contract runs) the
        answer is 409 with the freeze's end and reason."""
        return grant_out(home.grants.revoke(subject, grant_id), home)

    @router.get("/me/access-log")
    def my_access_log(
        subject: SubjectDep,
        home: HomeDep,
        limit: Annotated[int, Query(ge=1, le=1000, description="Newest entries shown")] = 200,
    ) -> AccessLogOut:
        """Who asked for my score, when, under which grant and scope, and whether they were
        answered or denied; newest first."""
        return access_log_out(home, subject, limit)

    @router.get("/me/export", responses=_404)
    def my_export(subject: SubjectDep, home: HomeDep) -> dict[str, Any]:
        """Everything credo holds about me, as one JSON document (right of access and
        portability): personal data, events with their sources, scores with characteristics and
        reasons, consents, grants, the access log, audit entries and disputes."""
        return export_person(home.export_sources(), subject)

    @router.post("/me/disputes", status_code=201, responses={**_404, **_409_DISPUTED})
    def open_dispute(body: DisputeIn, subject: SubjectDep, home: HomeDep) -> DisputeOut:
        """Dispute one of my records with a statement: it is left out of my score from the
        next scoring on while the source answers; a source that does not answer in time (30
        days, 20 in CN) loses. Someone else's record is answered like a missing one (404)."""
        dispute = home.disputes.open(
            subject, source=body.source, event_id=body.event_id, statement=body.statement
        )
        return dispute_out(dispute, home)

    @router.get("/me/disputes")
    def my_disputes(subject: SubjectDep, home: HomeDep) -> DisputesOut:
        """My disputes, newest first: status, the source's deadline and the time left, and
        the source's evidence once it answered."""
        return DisputesOut(
            disputes=[dispute_out(d, home) for d in home.disputes.for_subject(subject)]
        )

    @router.post("/me/erase")
    def erase_me(body: ErasureIn, subject: SubjectDep, home: HomeDep) -> ErasureOut:
        """Erase everything credo holds about me, for good: personal data (and the key that
        encrypted it), scores, grants, consents, disputes, my password and sessions, and my
        events in the lake (at once, or at the start of the next monthly run when one is
        reading the lake). The audit chain keeps only a tombstone that cannot be tied to me."""
        del body  # the confirmation phrase is checked by its schema
        erasure = home.erasures.erase(subject, actor="person", wait=False)
        return ErasureOut(
            removed=erasure.removed,
            audit_entries=erasure.audit_entries,
            events_purged=erasure.purge is not None,
        )

    return router
