"""The operator page: the run being served, the model, the sources and open disputes.

It is opened with an operator token (``credo operator token``), checked by
:meth:`~credo.consent.people.PeopleAccounts.authenticate_operator` on every request as the
``/v1/admin`` routes check it, and kept in an HttpOnly, SameSite=Strict cookie (see
:mod:`credo.web.session`); the store keeps only the token's hash and expiry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from credo.api.deps import HomeDep
from credo.errors import AuthenticationError
from credo.home import Home
from credo.web.operator_view import operator_context
from credo.web.render import PAGE_HEADERS, Renderer, sentence
from credo.web.session import (
    LOGIN_COOKIE,
    OPERATOR_COOKIE,
    clear_cookie,
    form_token,
    is_same_token,
    login_token,
    parse_form,
    set_cookie,
)

__all__ = ["REPORT_POLICY", "operator_routes"]

FormDep = Annotated[dict[str, str], Depends(parse_form)]
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)
"""The model report is one self-contained page with inline CSS and SVG and no script."""


def _operator_token(request: Request, home: Home) -> str | None:
    token = request.cookies.get(OPERATOR_COOKIE)
    if not token:
        return None
    try:
        home.people.authenticate_operator(token)
    except AuthenticationError:
        return None
    return token


def operator_routes(renderer: Renderer) -> APIRouter:
    """The operator's pages (a new router per app: no import-time state)."""
    router = APIRouter(include_in_schema=False)

    def sign_in(
        request: Request, home: Home, *, error: str | None = None, status: int = 200
    ) -> Response:
        csrf = login_token(request)
        page = renderer.page(
            request, "operator_login.html", {"csrf": csrf, "error": error}, status=status
        )
        production = home.settings.env == "production"
        set_cookie(page, request, LOGIN_COOKIE, csrf, max_age_seconds=None, production=production)
        return page

    @router.get("/operator")
    def dashboard(request: Request, home: HomeDep) -> Response:
        token = _operator_token(request, home)
        if token is None:
            return sign_in(request, home)
        context = operator_context(home) | {"csrf": form_token(token)}
        return renderer.page(request, "operator.html", context)

    @router.post("/operator/login")
    def login(request: Request, form: FormDep, home: HomeDep) -> Response:
        if not is_same_token(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            message = "This form has expired (or was sent from another site). Please try again."
            return sign_in(request, home, error=message, status=403)
        token = form.get("token", "").strip()
        try:
            home.people.authenticate_operator(token)
        except AuthenticationError as exc:
            return sign_in(request, home, error=sentence(str(exc)), status=401)
        response = RedirectResponse("/operator", status_code=303)
        production = home.settings.env == "production"
        # the store enforces the token's expiry; the cookie lasts the browser session
        set_cookie(
            response, request, OPERATOR_COOKIE, token, max_age_seconds=None, production=production
        )
        clear_cookie(response, request, LOGIN_COOKIE, production=production)
        return response

    @router.post("/operator/logout")
    def logout(request: Request, form: FormDep, home: HomeDep) -> Response:
        token = _operator_token(request, home)
        if token is not None and not is_same_token(form_token(token), form.get("csrf")):
            message = "This form has expired (or was sent from another site). Please try again."
            return renderer.page(request, "error.html", {"message": message}, status=403)
        response = RedirectResponse("/operator", status_code=303)
        clear_cookie(
            response, request, OPERATOR_COOKIE, production=home.settings.env == "production"
        )
        return response

    @router.get("/operator/model-report")
    def model_report(request: Request, home: HomeDep) -> Response:
        if _operator_token(request, home) is None:
            return RedirectResponse("/operator", status_code=303)
        model = home.models.active()
        path = None if model is None else home.settings.home / "reports" / f"{model.version}.html"
        if path is None or not path.exists():
            message = "No report was written for the active model."
            return renderer.page(request, "error.html", {"message": message}, status=404)
        headers = dict(PAGE_HEADERS) | {"Content-Security-Policy": REPORT_POLICY}
        return HTMLResponse(path.read_text(encoding="utf-8"), headers=headers)

    return router
