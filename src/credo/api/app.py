"""The application factory: ``create_app(home)`` wires routes, errors and request ids."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from credo.api.admin import admin_routes
from credo.api.errors import install_error_handlers
from credo.api.me import me_routes
from credo.api.partner import partner_routes
from credo.api.ratelimit import RateLimiter
from credo.home import Home

__all__ = ["create_app"]


def create_app(home: Home) -> FastAPI:
    """A credo API over ``home`` (nothing is created at import time)."""
    app = FastAPI(
        title="credo",
        version="1",
        description="Consent-gated credit scores: partners see only what a person authorized.",
    )
    app.state.home = home
    app.state.partner_limiter = RateLimiter(
        home.settings.api.partner_rate, home.settings.api.partner_burst
    )
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

    app.include_router(partner_routes())
    app.include_router(me_routes())
    app.include_router(admin_routes())
    from credo.web import install_dashboard  # noqa: PLC0415 - the pages import the API's parts

    install_dashboard(app)  # the pages (left out of the OpenAPI document) and /static
    return app
