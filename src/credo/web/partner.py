"""The partner console: ask a person for access, follow the request, run a threshold check.

Nothing about the partner is kept between requests (see :mod:`credo.web.session`): every form
carries the API key, which is authenticated and rate limited exactly as the partner routes do
it (:meth:`~credo.consent.partners.PartnerRegistry.authenticate`, then the partner's token
bucket), and never written back into a page. A threshold check goes through
:meth:`~credo.consent.disclosure.DisclosureService.threshold`, so it is decided by the person's
grant, recorded in the audit chain (the person sees it in their access log) and subject to the
probing rule; a refusal says only that no authorization covers it, as the API says.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from credo.api.deps import HomeDep
from credo.api.partner_models import AuthorizationIn, AuthorizationOut
from credo.api.ratelimit import RateLimiter
from credo.consent.grants import LADDER, MAX_DURATION_DAYS
from credo.consent.partners import PURPOSES, Partner
from credo.errors import CredoError, InvalidInputError
from credo.home import Home
from credo.web.render import Renderer, problem
from credo.web.session import parse_form

__all__ = ["partner_routes"]

FormDep = Annotated[dict[str, str], Depends(parse_form)]
_ANSWERS = {
    "Y": "Y — the score is at or above the threshold.",
    "N": "N — the score is below the threshold.",
    "N/A": "N/A — the person has no score to compare (too little data).",
}


def _partner(request: Request, home: Home, form: dict[str, str]) -> Partner:
    """The partner whose key the form carries, after its rate limit (as the API's
    dependencies do it); AuthenticationError or RateLimitedError otherwise."""
    partner = home.partners.authenticate(form.get("api_key", "").strip())
    limiter: RateLimiter = request.app.state.partner_limiter
    limiter.acquire(partner.id, who=f"partner {partner.name!r}")
    return partner


def _whole(form: dict[str, str], name: str, low: int, high: int) -> int:
    text = form.get(name, "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidInputError(f"{name.replace('_', ' ')} must be a whole number {low}-{high}")
    return int(text)


def partner_routes(renderer: Renderer) -> APIRouter:
    """The partner console (a new router per app: no import-time state)."""
    router = APIRouter(include_in_schema=False)

    def console(
        request: Request, result: dict[str, Any] | None = None, *, status: int = 200
    ) -> Response:
        context = {
            "purposes": PURPOSES,
            "scopes": [*LADDER, "watchlist"],
            "max_days": MAX_DURATION_DAYS,
            "result": result,
        }
        return renderer.page(request, "partner.html", context, status=status)

    def failed(request: Request, title: str, exc: CredoError | ValidationError) -> Response:
        status, message = problem(exc)
        return console(request, {"title": title, "error": message}, status=status)

    @router.get("/partner")
    def page(request: Request) -> Response:
        return console(request)

    @router.post("/partner/authorizations")
    def request_authorization(request: Request, form: FormDep, home: HomeDep) -> Response:
        title = "Request for access"
        try:
            partner = _partner(request, home, form)
            body = AuthorizationIn.model_validate(
                {
                    "identifier": form.get("identifier", "").strip(),
                    "purpose": form.get("purpose", ""),
                    "scope": form.get("scope", "threshold"),
                    "duration_days": form.get("duration_days", "30") or "30",
                }
            )
            grant = home.grants.request(
                partner,
                body.identifier,
                purpose=body.purpose,
                scope=body.scope,
                duration_days=body.duration_days,
            )
        except (CredoError, ValidationError) as exc:
            return failed(request, title, exc)
        state = AuthorizationOut.model_validate(grant.for_partner(home.clock.now()))
        return console(request, {"title": title, "authorization": state}, status=201)

    @router.post("/partner/status")
    def authorization_status(request: Request, form: FormDep, home: HomeDep) -> Response:
        title = "Authorization"
        try:
            partner = _partner(request, home, form)
            grant = home.grants.status_for_partner(
                partner, _whole(form, "authorization_id", 1, 2**31 - 1)
            )
        except CredoError as exc:
            return failed(request, title, exc)
        state = AuthorizationOut.model_validate(grant)
        return console(request, {"title": title, "authorization": state})

    @router.post("/partner/threshold")
    def threshold(request: Request, form: FormDep, home: HomeDep) -> Response:
        title = "Threshold check"
        try:
            partner = _partner(request, home, form)
            authorization_id = _whole(form, "authorization_id", 1, 2**31 - 1)
            minimum = _whole(form, "min", 350, 950)
            grant = home.grants.status_for_partner(partner, authorization_id)
            if grant.open_id is None:
                message = f"Authorization {grant.id} is {grant.status}: nothing can be asked yet."
                return console(request, {"title": title, "error": message}, status=409)
            admitted = home.disclosures.threshold(partner, grant.open_id, minimum)
        except CredoError as exc:
            return failed(request, title, exc)
        result = {
            "title": title,
            "admitted": admitted,
            "answer": _ANSWERS[admitted],
            "minimum": minimum,
            "authorization_id": authorization_id,
        }
        return console(request, result)

    return router
