"""Operator routes under ``/v1/admin``, behind an operator token (``credo operator token``):
the runs, the audit chain's verification, and registering partners."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, status
from pydantic import Field

from credo.api.deps import HomeDep, bearer
from credo.api.models import ErrorOut, In, Instant, Out
from credo.consent.partners import PURPOSES

__all__ = ["admin_routes"]


def _operator(
    home: HomeDep,
    authorization: Annotated[str | None, Header(description="Bearer <operator token>")] = None,
) -> None:
    home.people.authenticate_operator(bearer(authorization, "operator token"))


class RunOut(Out):
    """A monthly run and its closing summary."""

    id: int
    as_of: Instant
    engine: str
    status: str = Field(description="running, published, failed or interrupted")
    current: bool = Field(description="Whether this run's snapshot is the one being served")
    started_at: Instant
    finished_at: Instant | None
    summary: dict[str, Any]


class RunsOut(Out):
    """Every run, newest first."""

    runs: list[RunOut]


class AuditOut(Out):
    """The audit chain's state."""

    ok: bool
    checked: int = Field(description="Entries that form one chain from the first")
    head: str = Field(description="Hash of the last good entry (keep it outside the database)")
    first_bad: int | None
    problem: str | None = Field(description="altered, removed or reordered")
    message: str


class PartnerIn(In):
    """A partner to register."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,62}$", description="lowercase name")
    purposes: list[str] = Field(
        min_length=1,
        max_length=len(PURPOSES),
        json_schema_extra={"items": {"enum": list(PURPOSES)}},
        description="What the partner may ask for access for",
    )
    is_source: bool = Field(default=False, description="Whether it also reports events")


class PartnerOut(Out):
    """A registered partner; ``api_key`` is shown in this answer only."""

    name: str
    purposes: list[str]
    is_source: bool
    api_key: str


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing, unknown or expired operator token"},
    422: {"model": ErrorOut, "description": "The request breaks a documented rule"},
}


def admin_routes() -> APIRouter:
    """The operators' router (a new one per app: no import-time state)."""
    router = APIRouter(
        prefix="/v1/admin",
        tags=["operator"],
        dependencies=[Depends(_operator)],
        responses=_ERRORS,
    )

    @router.get("/runs")
    def runs(home: HomeDep) -> RunsOut:
        """Every monthly run, newest first, with its summary (people scored, N/A, bands)."""
        current = home.snapshots.current()
        return RunsOut(
            runs=[
                RunOut(
                    id=r.id,
                    as_of=r.as_of,
                    engine=r.engine,
                    status=r.status,
                    current=current is not None and current.id == r.id,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    summary=r.summary,
                )
                for r in home.snapshots.runs()
            ]
        )

    @router.get("/audit/verify")
    def audit_verify(home: HomeDep) -> AuditOut:
        """Walk the whole audit chain and report the first altered, removed or reordered
        entry."""
        report = home.audit.verify()
        return AuditOut(
            ok=report.ok,
            checked=report.checked,
            head=report.head,
            first_bad=report.first_bad,
            problem=report.problem,
            message=report.message,
        )

    @router.post(
        "/partners",
        status_code=status.HTTP_201_CREATED,
        responses={409: {"model": ErrorOut, "description": "A partner of that name exists"}},
    )
    def add_partner(body: PartnerIn, home: HomeDep) -> PartnerOut:
        """Register a partner; its API key is in this answer only (credo keeps its hash)."""
        partner, key = home.partners.add(body.name, body.purposes, is_source=body.is_source)
        return PartnerOut(
            name=partner.name,
            purposes=list(partner.purposes),
            is_source=partner.is_source,
            api_key=key,
        )

    return router
