"""Dependencies shared by the API's routers: the home and the partner's API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from credo.consent.partners import Partner
from credo.consent.pseudonyms import OPEN_ID_HEX
from credo.errors import AuthenticationError
from credo.home import Home

__all__ = ["HomeDep", "OpenId", "PartnerDep", "bearer"]


async def _home(request: Request) -> Home:  # no I/O: no thread hop
    home: Home = request.app.state.home
    return home


HomeDep = Annotated[Home, Depends(_home)]


def bearer(authorization: str | None, what: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (401 when absent)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise AuthenticationError(f"send the {what} as 'Authorization: Bearer <token>'")
    return authorization.removeprefix("Bearer ").strip()


# async like the threshold route it serves (see there): one indexed lookup, no thread hop
async def _partner(
    home: HomeDep,
    authorization: Annotated[str | None, Header(description="Bearer <partner API key>")] = None,
) -> Partner:
    return home.partners.authenticate(bearer(authorization, "partner API key"))


PartnerDep = Annotated[Partner, Depends(_partner)]
OpenId = Annotated[
    str,
    Path(
        pattern=f"^[0-9a-f]{{{OPEN_ID_HEX}}}$",
        description=f"The person's pseudonym for this partner ({OPEN_ID_HEX} lowercase hex "
        "characters)",
    ),
]
