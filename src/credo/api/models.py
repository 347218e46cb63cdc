"""What every API body shares: the error body, instants, and the base of request and response
models (requests refuse unknown fields; responses read from service dataclasses)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

__all__ = ["NO_CONTROL", "ErrorOut", "In", "Instant", "Out"]


def _iso(value: datetime) -> str:
    return value.isoformat()


Instant = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A UTC instant, written as ISO 8601 with its offset (``2026-11-01T12:00:00+00:00``)."""
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorOut(Out):
    """The body of every error response."""

    error: str = Field(description="A stable error code, e.g. not_authorized, rate_limited")
    detail: str = Field(description="What went wrong (never which rule refused a disclosure)")
    request_id: str | None = Field(description="Quote it to the operator")
