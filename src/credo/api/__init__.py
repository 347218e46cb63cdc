"""The HTTP API: a FastAPI application factory (no import-time state)."""

from credo.api.app import create_app

__all__ = ["create_app"]
