"""What every API body shares: the error body, instants, and the base of request and response
models (requests refuse unknown fields; responses read from service dataclasses)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

__all__ = ["IDENTIFIER", "NO_CONTROL", "ErrorOut", "In", "Instant", "Out"]


def _iso(value: datetime) -> str:
    return value.isoformat()


Instant = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A UTC instant, written as ISO 8601 with its offset (``2026-11-01T12:00:00+00:00``)."""
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_SEPARATOR = " ().\u3000\uff08\uff09\uff0e\uff0f/\uff0d-"
_DIGIT = "0-9\uff10-\uff19"
_ALNUM = _DIGIT + "A-Za-z\uff21-\uff3a\uff41-\uff5a"
IDENTIFIER = (
    f"^[{_SEPARATOR}]*(?:[+\uff0b][{_SEPARATOR}]*(?:[{_DIGIT}][{_SEPARATOR}]*){{6,15}}"
    f"|(?:[{_ALNUM}][{_SEPARATOR}]*){{3,64}})$"
)
"""A person identifier credo can read (:func:`credo.privacy.tokens.normalise_identifier`): a
phone, ``+`` and 6 to 15 digits, or an id of 3 to 64 letters and digits, with spaces, ``-``,
``.``, ``/`` and parentheses between them; full-width forms (as Chinese input methods type
them) count as their ASCII letters, digits and separators."""


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
