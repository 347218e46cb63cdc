"""The one place credo errors become HTTP responses: ``{"error", "detail", "request_id"}``.

Refusals of partner queries say only that no authorization covers the request: why (no grant,
another partner's, revoked, expired …) is recorded in the audit chain, never told to the caller.
"""

from __future__ import annotations

import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from credo.errors import (
    AuthenticationError,
    ConflictError,
    ConsentDeniedError,
    CredoError,
    InvalidInputError,
    NotFoundError,
    ProbeLimitError,
    RateLimitedError,
)

__all__ = ["error_response", "install_error_handlers", "status_of"]

_STATUS: tuple[tuple[type[CredoError], int, str], ...] = (
    (ProbeLimitError, 429, "too_many_thresholds"),  # before its parent, ConsentDeniedError
    (RateLimitedError, 429, "rate_limited"),
    (AuthenticationError, 401, "unauthenticated"),
    (ConsentDeniedError, 403, "not_authorized"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (InvalidInputError, 422, "invalid_input"),
)


def status_of(error: CredoError) -> tuple[int, str]:
    """HTTP status and error code of a credo error (500 for anything unplanned)."""
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            return status, code
    return 500, "internal"


def error_response(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error body every failure has (``headers`` are added to the response)."""
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(
        {"error": code, "detail": detail, "request_id": request_id},
        status_code=status,
        headers={"X-Request-ID": request_id or "", **(headers or {})},
    )


def _headers_of(error: CredoError) -> dict[str, str]:
    """Headers an error adds: ``Retry-After`` (whole seconds, at least 1) when rate limited."""
    if isinstance(error, RateLimitedError):
        return {"Retry-After": str(max(1, math.ceil(error.retry_after_seconds)))}
    return {}


def _allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: the methods of every route at the request's path.

    Starlette's own lists only the first route that matched the path, so a path served by two
    routes (``GET`` and ``PUT /v1/me/consents``) would claim to allow one method (RFC 9110
    wants them all).
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    """Map credo errors, validation errors and HTTP errors to the one error body."""

    async def credo_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CredoError)
        status, code = status_of(exc)
        if status == 403:
            detail = "no authorization covers this request"
        elif status == 500:
            detail = "internal error; quote the request id to the operator"
        else:
            detail = str(exc)
        return error_response(request, status, code, detail, headers=_headers_of(exc))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(request, 422, "invalid_input", fields)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        headers = dict(exc.headers or {})
        if status == 400:
            # FastAPI answers 400 to a body it cannot even decode (not UTF-8) but 422 to one
            # that is not JSON: both are invalid input, documented as 422
            status = 422
        elif status == 405:
            headers["Allow"] = _allowed_methods(request)
        codes = {
            401: "unauthenticated",
            404: "not_found",
            405: "method_not_allowed",
            422: "invalid_input",
        }
        return error_response(
            request, status, codes.get(status, "http_error"), str(exc.detail), headers=headers
        )

    app.add_exception_handler(CredoError, credo_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
