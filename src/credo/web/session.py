"""Sessions and forged-request protection for the dashboard.

- **Cookies.** A person's page keeps the very session token the API issues
  (:meth:`~credo.consent.people.PeopleAccounts.login`) in the cookie :data:`PERSON_COOKIE`; the
  operator page keeps the operator token (``credo operator token``) in :data:`OPERATOR_COOKIE`.
  Both are ``HttpOnly`` (no script can read them), ``SameSite=Strict`` (no other site's page
  can make the browser send them) and ``Secure`` over HTTPS or in production, and end with the
  token (the store keeps only its SHA-256 and its expiry). The API never reads cookies, so the
  API itself cannot be driven by a forged cross-site request.
- **Forms of a signed-in person** carry :func:`form_token`, an HMAC of a fixed label keyed by
  the session token: only a page that was served to the holder of the session can know it, it
  needs no state on the server and it dies with the session. A POST without it is refused.
- **Login forms** (before any session exists) use a double-submit token: the form page sets a
  random value in the cookie :data:`LOGIN_COOKIE` and in a hidden field, and the login is
  refused unless both agree (a cross-site form cannot read the cookie, nor, with
  ``SameSite=Strict``, have it sent).
- **The partner console** keeps no session at all: a partner's API key does not expire, so it
  is never put in a cookie; it is typed (or filled by a password manager) into every form and
  checked by :meth:`~credo.consent.partners.PartnerRegistry.authenticate` each time, as the API
  checks it. A forged form cannot carry the key, so those forms need no other token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl

from fastapi import Request, Response

from credo.errors import InvalidInputError

__all__ = [
    "LOGIN_COOKIE",
    "MAX_FORM_BYTES",
    "OPERATOR_COOKIE",
    "PERSON_COOKIE",
    "clear_cookie",
    "form_token",
    "is_same_token",
    "login_token",
    "parse_form",
    "set_cookie",
]

PERSON_COOKIE = "credo_session"
OPERATOR_COOKIE = "credo_operator"
LOGIN_COOKIE = "credo_login"
MAX_FORM_BYTES = 16 * 1024
"""A form of the dashboard is a few hundred bytes; a dispute statement at most a few KiB."""
_FORM_LABEL = b"credo web form v1"


def form_token(session_token: str) -> str:
    """The token the forms of ``session_token``'s pages carry (HMAC-SHA256, hex)."""
    return hmac.new(session_token.encode("utf-8"), _FORM_LABEL, hashlib.sha256).hexdigest()


def is_same_token(expected: str | None, sent: str | None) -> bool:
    """Whether ``sent`` equals ``expected`` (compared in constant time; None never matches)."""
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), sent.encode("utf-8"))


def login_token(request: Request) -> str:
    """The login form's double-submit value: the browser's current one, or a new one."""
    current = request.cookies.get(LOGIN_COOKIE)
    if current and len(current) == 43:
        return current
    return secrets.token_urlsafe(32)


def _is_secure(request: Request, production: bool) -> bool:
    return production or request.url.scheme == "https"


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    max_age_seconds: int | None,
    production: bool,
) -> None:
    """Set cookie ``name`` (HttpOnly, SameSite=Strict, whole site; a browser session cookie
    when ``max_age_seconds`` is None). A lifetime rather than an end instant: the browser's
    clock need not agree with the server's."""
    response.set_cookie(
        name,
        value,
        max_age=max_age_seconds,
        path="/",
        secure=_is_secure(request, production),
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request, name: str, *, production: bool) -> None:
    """Make the browser forget cookie ``name``."""
    response.delete_cookie(
        name, path="/", secure=_is_secure(request, production), httponly=True, samesite="strict"
    )


async def parse_form(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` POST (the last of a repeated
    name wins; no fields for an empty body); InvalidInputError for another kind of body, more
    than :data:`MAX_FORM_BYTES`, or text that is not UTF-8."""
    body = await request.body()
    if not body:
        return {}  # a form of buttons only; its missing token is refused by the route
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise InvalidInputError(
            f"a form is sent as application/x-www-form-urlencoded; got {kind!r}"
        )
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInputError(f"a form is at most {MAX_FORM_BYTES} bytes; got {len(body)}")
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=50
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"the form cannot be read: {exc}") from exc
    return dict(pairs)
