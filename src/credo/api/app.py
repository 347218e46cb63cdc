"""The application factory: ``create_app(home)`` wires routes, errors and request ids."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response

from credo.api.errors import install_error_handlers
from credo.consent.partners import Partner
from credo.errors import AuthenticationError
from credo.home import Home

__all__ = ["create_app"]


def _home(request: Request) -> Home:
    home: Home = request.app.state.home
    return home


HomeDep = Annotated[Home, Depends(_home)]


def _partner(
    home: HomeDep,
    authorization: Annotated[str | None, Header(description="Bearer <partner API key>")] = None,
) -> Partner:
    if not authorization or not authorization.startswith("Bearer "):
        raise AuthenticationError("send the partner API key as 'Authorization: Bearer <key>'")
    return home.partners.authenticate(authorization.removeprefix("Bearer ").strip())


PartnerDep = Annotated[Partner, Depends(_partner)]
OpenId = Annotated[str, Path(description="The person's pseudonym for this partner")]


def _partner_routes() -> APIRouter:
    router = APIRouter(prefix="/v1/partner", tags=["partner"])

    @router.get("/subjects/{open_id}/threshold")
    def threshold(
        open_id: OpenId,
        partner: PartnerDep,
        home: HomeDep,
        minimum: Annotated[int, Query(alias="min", ge=350, le=950)],
    ) -> dict[str, str]:
        """Whether the person's score is at least ``min``: ``Y``, ``N`` or ``N/A``, nothing
        else (the default, minimal disclosure)."""
        return {"admitted": home.disclosures.threshold(partner, open_id, minimum)}

    @router.get("/subjects/{open_id}/band")
    def band(open_id: OpenId, partner: PartnerDep, home: HomeDep) -> dict[str, Any]:
        """The person's band and as-of date (scope ``band`` or wider)."""
        return _plain(home.disclosures.band(partner, open_id))

    @router.get("/subjects/{open_id}/score")
    def score(open_id: OpenId, partner: PartnerDep, home: HomeDep) -> dict[str, Any]:
        """Score, band, as-of date and model version (scope ``score`` or wider)."""
        return _plain(home.disclosures.score(partner, open_id))

    @router.get("/subjects/{open_id}/score_reasons")
    def score_reasons(open_id: OpenId, partner: PartnerDep, home: HomeDep) -> dict[str, Any]:
        """The score with its reason codes and sentences (scope ``score_reasons``)."""
        return _plain(home.disclosures.score_reasons(partner, open_id))

    return router


def _plain(answer: object) -> dict[str, Any]:
    """A disclosure answer (a dataclass) as JSON-ready values."""
    out: dict[str, Any] = {}
    for key, value in asdict(answer).items():  # type: ignore[call-overload]
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def create_app(home: Home) -> FastAPI:
    """A credo API over ``home`` (nothing is created at import time)."""
    app = FastAPI(
        title="credo",
        version="1",
        description="Consent-gated credit scores: partners see only what a person authorized.",
    )
    app.state.home = home
    install_error_handlers(app)

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    app.include_router(_partner_routes())
    return app
