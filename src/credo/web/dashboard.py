"""Mounting the dashboard on the API's application: the pages' routers (left out of the OpenAPI
document: they are not API) and the stylesheet under ``/static``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from credo.home import Home
from credo.web.operator import operator_routes
from credo.web.partner import partner_routes
from credo.web.person import person_routes
from credo.web.render import STATIC_DIR, Renderer

__all__ = ["install_dashboard"]


def _welcome(renderer: Renderer) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def welcome(request: Request) -> Response:
        return renderer.page(request, "welcome.html", {})

    return router


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages to ``app`` (whose ``state.home`` is the credo home)."""
    home: Home = app.state.home
    renderer = Renderer(home.settings.scoring.bands)
    for router in (
        _welcome(renderer),
        person_routes(renderer),
        partner_routes(renderer),
        operator_routes(renderer),
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
