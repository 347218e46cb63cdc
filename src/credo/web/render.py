"""Rendering the dashboard's pages: the Jinja2 environment, its filters, and HTML responses
with the headers every page carries.

Every page is sent with a Content-Security-Policy that allows no script at all and styles only
from ``/static``, forbids framing (clickjacking) and form posts to other sites, and with
``Cache-Control: no-store``: the pages show personal data, which a shared cache or the back
button of a shared computer must not keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from credo.api.errors import status_of
from credo.errors import CredoError
from credo.settings import BandSetting

__all__ = [
    "PAGE_HEADERS",
    "STATIC_DIR",
    "Renderer",
    "as_of_day",
    "as_of_month",
    "band_slot",
    "duration",
    "money",
    "problem",
    "sentence",
    "signed",
    "when",
]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
PALETTE_SLOTS = 5
"""Band colours in the stylesheet (``band-0`` red … ``band-4`` green)."""
PAGE_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def band_slot(index: int, count: int) -> int:
    """The colour slot of the ``index``-th of ``count`` bands, lowest red, highest green.

    >>> [band_slot(i, 5) for i in range(5)], [band_slot(i, 3) for i in range(3)]
    ([0, 1, 2, 3, 4], [0, 2, 4])
    """
    if count <= 1:
        return PALETTE_SLOTS - 1
    return round(index * (PALETTE_SLOTS - 1) / (count - 1))


def as_of_day(instant: datetime) -> str:
    """The day a score is "as of": an as-of instant at midnight is the end of the day before
    (``--as-of 2026-10-31`` is stored as 2026-11-01T00:00Z).

    >>> from datetime import UTC
    >>> midnight, noon = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 1, 12, tzinfo=UTC)
    >>> as_of_day(midnight), as_of_day(noon)
    ('31 October 2026', '1 November 2026')
    """
    day = _day(instant)
    return f"{day.day} {day:%B %Y}"


def as_of_month(instant: datetime) -> str:
    """The short month of an as-of instant (see :func:`as_of_day`): ``Oct 2026``."""
    return f"{_day(instant):%b %Y}"


def _day(instant: datetime) -> date:
    if instant.time() == time():
        return (instant - timedelta(microseconds=1)).date()
    return instant.date()


def when(instant: datetime | None) -> str:
    """An instant for people: ``5 Oct 2026, 08:00 UTC`` (``—`` for none)."""
    if instant is None:
        return "—"
    return f"{instant.day} {instant:%b %Y, %H:%M} UTC"


def duration(seconds: int) -> str:
    """Time left on a clock, to the hour: ``29 days 23 hours``, ``5 hours``, ``under an hour``.

    >>> duration(29 * 86400 + 23 * 3600 + 59), duration(3600), duration(59)
    ('29 days 23 hours', '1 hour', 'under an hour')
    """
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((days, "day"), (hours, "hour")) if n
    ]
    return " ".join(parts) if parts else "under an hour"


def signed(change: int | float) -> str:
    """A change with its sign, ``±0`` for none: ``+13``, ``-6``, ``±0``, ``+4.1``.

    >>> signed(13), signed(-6), signed(0), signed(4.1)
    ('+13', '-6', '±0', '+4.1')
    """
    if change == 0:
        return "±0"
    return f"{change:+d}" if isinstance(change, int) else f"{change:+.1f}"


def money(amount_minor: Any, currency: Any) -> str:
    """An amount in minor units with its currency (two decimals): ``900.00 CNY``."""
    if not isinstance(amount_minor, int):
        return ""
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole:,}.{cents:02d} {currency or ''}".strip()


def problem(error: CredoError | ValidationError) -> tuple[int, str]:
    """HTTP status and a sentence for a refused action, as the API's error mapping has it
    (a refused partner query never says why, a failure of ours never says what)."""
    if isinstance(error, ValidationError):
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return 422, f"Please check the form: {fields}"
    status, _code = status_of(error)
    if status == 403:
        return status, "No authorization covers this request."
    if status == 500:
        return status, "Something went wrong on our side; please try again later."
    return status, sentence(str(error))


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop.

    >>> sentence("the identifier or the password is wrong")
    'The identifier or the password is wrong.'
    """
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?)" else ".")


class Renderer:
    """Templates of the dashboard (one per app: nothing is built at import time)."""

    def __init__(self, bands: Sequence[BandSetting]) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(
            as_of_day=as_of_day,
            as_of_month=as_of_month,
            when=when,
            duration=duration,
            money=money,
            num=_num,
            signed=signed,
        )
        self._env.globals["bands"] = [
            {
                "name": b.name,
                "name_zh": b.name_zh,
                "low": b.low,
                "high": b.high,
                "slot": band_slot(i, len(bands)),
            }
            for i, b in enumerate(bands)
        ]

    def page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        status: int = 200,
    ) -> HTMLResponse:
        """``template`` rendered with ``context`` (plus the request), with the page headers."""
        html = self._env.get_template(template).render(request=request, **context)
        return HTMLResponse(html, status_code=status, headers=dict(PAGE_HEADERS))


def _num(value: float | None, digits: int = 0) -> str:
    """A number with ``digits`` decimals (``—`` for none)."""
    return "—" if value is None else f"{value:,.{digits}f}"
