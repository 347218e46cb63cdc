"""A person's pages: logging in and out, their score at a glance, and what they can do about
it (collection consents, partners' requests and grants, disputes, the data export).

Every action calls the service the matching ``/v1/me`` route calls, for the subject of the
session in the cookie (never one named by the request), after the form token check of
:mod:`credo.web.session`. Another person's grant or record is refused by the service exactly
as the API refuses it (404, so it does not tell that it exists).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from credo.api.deps import HomeDep
from credo.api.me_models import (
    ERASE_CONFIRMATION,
    CodeLoginIn,
    ConsentChangeIn,
    DisputeIn,
    ErasureIn,
    PasswordLoginIn,
)
from credo.consent.people import Session, change_consents
from credo.errors import AuthenticationError, CredoError
from credo.home import Home
from credo.loyalty.catalogue import Catalogue, privileges_catalogue
from credo.rights.disputes import MAX_TEXT_CHARS
from credo.rights.export import export_person
from credo.web.person_view import person_context, records_context
from credo.web.render import Renderer, problem
from credo.web.session import (
    LOGIN_COOKIE,
    PERSON_COOKIE,
    clear_cookie,
    form_token,
    is_same_token,
    login_token,
    parse_form,
    set_cookie,
)

__all__ = ["EXPIRED_FORM", "NOTES", "PersonPages", "person_routes"]

FormDep = Annotated[dict[str, str], Depends(parse_form)]
GrantId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOTES = {
    "approve": "Request approved: the partner may now ask within its scope until it expires.",
    "refuse": "Request refused.",
    "revoke": "Grant revoked: the partner is denied from now on.",
    "consent": "Your choice is saved; the next ingest and monthly run follow it.",
    "dispute": "Dispute opened: the record is left out of your score while the source answers.",
}
"""What a finished action says on the page it returns to (only these texts: a link cannot
make the page say something else)."""
EXPIRED_FORM = "This form has expired (or was sent from another site). Please try again."
Signed = tuple[str, str]
"""A live session token and its subject."""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _production(home: Home) -> bool:
    return home.settings.env == "production"


def _signed_in(request: Request, home: Home) -> Signed | None:
    """The session token in the cookie and its subject, or None (no cookie, or a dead one)."""
    token = request.cookies.get(PERSON_COOKIE)
    if not token:
        return None
    try:
        return token, home.people.authenticate(token)
    except AuthenticationError:
        return None


def _log_in(home: Home, form: dict[str, str]) -> Session:
    """A session for the identifier and password (or one-time code) of a login form, checked
    by the API's own request models; ValidationError or AuthenticationError otherwise."""
    identifier = form.get("identifier", "").strip()
    if form.get("method") == "code":
        code = CodeLoginIn(identifier=identifier, code=form.get("code", "").strip())
        return home.people.login_with_code(code.identifier, code.code)
    password = PasswordLoginIn(identifier=identifier, password=form.get("password", ""))
    return home.people.login(password.identifier, password.password)


class PersonPages:
    """The handlers of the person's pages, over one renderer (see :func:`person_routes`)."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer
        self._catalogue: Catalogue | None = None

    # --- building blocks ----------------------------------------------------------------------

    def _refused(self, request: Request, message: str, status: int) -> Response:
        return self._renderer.page(request, "error.html", {"message": message}, status=status)

    def _login_page(
        self, request: Request, home: Home, *, error: str | None = None, status: int = 200
    ) -> Response:
        token = login_token(request)
        context = {"csrf": token, "error": error}
        response = self._renderer.page(request, "login.html", context, status=status)
        production = _production(home)
        set_cookie(
            response, request, LOGIN_COOKIE, token, max_age_seconds=None, production=production
        )
        return response

    def _me_page(
        self,
        request: Request,
        home: Home,
        signed: Signed,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        if self._catalogue is None:
            self._catalogue = privileges_catalogue(home.settings.scoring)
        context = person_context(home, self._catalogue, signed[1])
        note = NOTES.get(request.query_params.get("done", ""))
        context |= {"csrf": form_token(signed[0]), "note": note, "error": error}
        return self._renderer.page(request, "person.html", context, status=status)

    def _acting(self, request: Request, home: Home, form: dict[str, str]) -> Signed | Response:
        """The session of a POST whose form token is the session's, or the response refusing
        it (to the login page without a live session, 403 with a wrong or missing token)."""
        signed = _signed_in(request, home)
        if signed is None:
            return _see_other("/login")
        if not is_same_token(form_token(signed[0]), form.get("csrf")):
            return self._refused(request, EXPIRED_FORM, 403)
        return signed

    def _dispute_page(
        self,
        request: Request,
        home: Home,
        signed: Signed,
        key: tuple[str, str],
        *,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        found = records_context(export_person(home.export_sources(), signed[1]))["records"]
        record = next((r for r in found if (r["source"], r["event_id"]) == key), None)
        if record is None:
            return self._refused(request, "You have no such record.", 404)
        context: dict[str, Any] = {"record": record, "csrf": form_token(signed[0])}
        period = home.settings.rights.dispute_period_days()
        context |= {"error": error, "max_chars": MAX_TEXT_CHARS, "period_days": period}
        return self._renderer.page(request, "dispute.html", context, status=status)

    # --- logging in and out -------------------------------------------------------------------

    def login_form(self, request: Request, home: HomeDep) -> Response:
        """The login page (a signed-in person goes to their page)."""
        if _signed_in(request, home) is not None:
            return _see_other("/me")
        return self._login_page(request, home)

    def login(self, request: Request, form: FormDep, home: HomeDep) -> Response:
        """Log in with a password or a one-time code; the session token goes in the cookie."""
        if not is_same_token(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            return self._login_page(request, home, error=EXPIRED_FORM, status=403)
        try:
            session = _log_in(home, form)
        except ValidationError:
            message = "Enter your identifier and your password (or an eight-digit code)."
            return self._login_page(request, home, error=message, status=422)
        except CredoError as exc:
            status, message = problem(exc)
            return self._login_page(request, home, error=message, status=status)
        response = _see_other("/me")
        production = _production(home)
        set_cookie(
            response,
            request,
            PERSON_COOKIE,
            session.token,
            max_age_seconds=int((session.expires_at - home.clock.now()).total_seconds()),
            production=production,
        )
        clear_cookie(response, request, LOGIN_COOKIE, production=production)
        return response

    def logout(self, request: Request, form: FormDep, home: HomeDep) -> Response:
        """End the session (its token stops working at once) and forget the cookie."""
        acted = self._acting(request, home, form)
        if isinstance(acted, Response):
            return acted
        home.people.logout(acted[0])
        response = _see_other("/login")
        clear_cookie(response, request, PERSON_COOKIE, production=_production(home))
        return response

    # --- the page and its actions -------------------------------------------------------------

    def me(self, request: Request, home: HomeDep) -> Response:
        """The person's page."""
        signed = _signed_in(request, home)
        if signed is None:
            return _see_other("/login")
        return self._me_page(request, home, signed)

    def consent(self, request: Request, form: FormDep, home: HomeDep) -> Response:
        """Grant or withdraw the collection of one data category (from every source or one)."""
        acted = self._acting(request, home, form)
        if isinstance(acted, Response):
            return acted
        try:
            change = ConsentChangeIn.model_validate(
                {k: form.get(k) for k in ("category", "source", "action")}
            )
            choice = (change.category, change.source, change.action == "grant")
            change_consents(home.consents, home.sources, home.audit, acted[1], [choice])
        except (CredoError, ValidationError) as exc:
            status, message = problem(exc)
            return self._me_page(request, home, acted, error=message, status=status)
        return _see_other("/me?done=consent#consents")

    def decide(
        self,
        request: Request,
        grant_id: GrantId,
        action: Literal["approve", "refuse", "revoke"],
        form: FormDep,
        home: HomeDep,
    ) -> Response:
        """Approve or refuse a partner's request, or revoke a grant."""
        acted = self._acting(request, home, form)
        if isinstance(acted, Response):
            return acted
        act = {
            "approve": home.grants.approve,
            "refuse": home.grants.refuse,
            "revoke": home.grants.revoke,
        }[action]
        try:
            act(acted[1], grant_id)
        except CredoError as exc:
            status, message = problem(exc)
            return self._me_page(request, home, acted, error=message, status=status)
        return _see_other(f"/me?done={action}#partners")

    def export(self, request: Request, home: HomeDep) -> Response:
        """Everything held about the person, as the JSON file ``GET /v1/me/export`` sends."""
        signed = _signed_in(request, home)
        if signed is None:
            return _see_other("/login")
        return JSONResponse(
            export_person(home.export_sources(), signed[1]),
            headers={
                "Content-Disposition": 'attachment; filename="credo-export.json"',
                "Cache-Control": "no-store",
            },
        )

    # --- records and disputes -----------------------------------------------------------------

    def records(self, request: Request, home: HomeDep) -> Response:
        """The records of the person's export, newest first, to pick one to dispute."""
        signed = _signed_in(request, home)
        if signed is None:
            return _see_other("/login")
        context = records_context(export_person(home.export_sources(), signed[1]))
        return self._renderer.page(request, "records.html", context)

    def new_dispute(
        self, request: Request, home: HomeDep, source: str = "", event_id: str = ""
    ) -> Response:
        """The form disputing one record of the person's."""
        signed = _signed_in(request, home)
        if signed is None:
            return _see_other("/login")
        return self._dispute_page(request, home, signed, (source, event_id))

    def open_dispute(self, request: Request, form: FormDep, home: HomeDep) -> Response:
        """Dispute a record with a statement (checked like ``POST /v1/me/disputes``)."""
        acted = self._acting(request, home, form)
        if isinstance(acted, Response):
            return acted
        key = (form.get("source", ""), form.get("event_id", ""))
        try:
            body = DisputeIn.model_validate(
                {"source": key[0], "event_id": key[1], "statement": form.get("statement", "")}
            )
            home.disputes.open(
                acted[1], source=body.source, event_id=body.event_id, statement=body.statement
            )
        except (CredoError, ValidationError) as exc:
            status, message = problem(exc)
            return self._dispute_page(request, home, acted, key, error=message, status=status)
        return _see_other("/me?done=dispute#disputes")

    def erase_form(self, request: Request, home: HomeDep) -> Response:
        """What erasure does, and the form confirming it."""
        signed = _signed_in(request, home)
        if signed is None:
            return _see_other("/login")
        return self._erase_page(request, signed)

    def _erase_page(
        self, request: Request, signed: Signed, *, error: str | None = None, status: int = 200
    ) -> Response:
        context = {"csrf": form_token(signed[0]), "phrase": ERASE_CONFIRMATION, "error": error}
        return self._renderer.page(request, "erase.html", context, status=status)

    def erase(self, request: Request, form: FormDep, home: HomeDep) -> Response:
        """Erase the person (checked like ``POST /v1/me/erase``); the session ends with it."""
        acted = self._acting(request, home, form)
        if isinstance(acted, Response):
            return acted
        try:
            ErasureIn.model_validate({"confirm": form.get("confirm", "").strip()})
        except ValidationError:
            message = f"Type “{ERASE_CONFIRMATION}” exactly to confirm."
            return self._erase_page(request, acted, error=message, status=422)
        try:
            erasure = home.erasures.erase(acted[1], actor="person", wait=False)
        except CredoError as exc:
            status, message = problem(exc)
            return self._erase_page(request, acted, error=message, status=status)
        context = {"removed": sum(erasure.removed.values()), "purged": erasure.purge is not None}
        response = self._renderer.page(request, "erased.html", context)
        clear_cookie(response, request, PERSON_COOKIE, production=_production(home))
        return response


def person_routes(renderer: Renderer) -> APIRouter:
    """The person's pages (a new router per app: no import-time state)."""
    pages = PersonPages(renderer)
    router = APIRouter(include_in_schema=False)
    for path, handler, method in (
        ("/login", pages.login_form, "GET"),
        ("/login", pages.login, "POST"),
        ("/logout", pages.logout, "POST"),
        ("/me", pages.me, "GET"),
        ("/me/consents", pages.consent, "POST"),
        ("/me/grants/{grant_id}/{action}", pages.decide, "POST"),
        ("/me/export.json", pages.export, "GET"),
        ("/me/records", pages.records, "GET"),
        ("/me/disputes/new", pages.new_dispute, "GET"),
        ("/me/disputes", pages.open_dispute, "POST"),
        ("/me/erase", pages.erase_form, "GET"),
        ("/me/erase", pages.erase, "POST"),
    ):
        router.add_api_route(path, handler, methods=[method])
    return router
