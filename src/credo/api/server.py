"""The app ``credo serve`` runs: built in each worker process from the environment's settings
(uvicorn imports ``credo.api.server:app_from_environment`` as a factory)."""

from __future__ import annotations

from fastapi import FastAPI

from credo.api.app import create_app
from credo.home import Home
from credo.settings import load_settings

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """A credo API over the home ``$CREDO_HOME`` (and the other ``CREDO_`` settings) names."""
    home = Home(load_settings())
    home.require_ready()
    return create_app(home)
