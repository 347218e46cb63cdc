"""Partners: the businesses that ask people for access to their score, and their API keys.

An API key is ``credo_`` followed by 43 URL-safe characters (256 random bits). Only its SHA-256
is stored: a key that long cannot be guessed, so a slow password hash (argon2, used for people's
passwords) would only add latency to every partner request. The first 14 characters
(``key_prefix``) find the row and are shown to operators; the hashes are then compared in
constant time.

Purposes are a fixed vocabulary (:data:`PURPOSES`): decisions where past repayment behaviour is
relevant to what the partner offers. Employment, insurance pricing and dating are left out on
purpose: credit history is a poor, and in many places unlawful, proxy there.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import Engine, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from credo.storage.tables import partners

__all__ = [
    "KEY_MARK",
    "PURPOSES",
    "Partner",
    "PartnerRegistry",
    "hash_api_key",
    "parse_purposes",
]

PURPOSES: Mapping[str, str] = MappingProxyType(
    {
        "lending": "loans, credit lines and instalment plans",
        "rental": "deposit-free rental of goods (bikes, power banks, devices, cars)",
        "housing": "tenancy applications and deposit-free leases",
        "utilities": "post-paid telecom, energy and water accounts",
        "account_review": "reviewing an account the person already holds with the partner",
    }
)
"""The purposes a partner may be registered for, with what each covers."""

KEY_MARK = "credo_"
_KEY = re.compile(KEY_MARK + r"[A-Za-z0-9_-]{43}")
_PREFIX = len(KEY_MARK) + 8
_NAME = re.compile(r"[a-z][a-z0-9_-]{1,62}")
_INVALID_KEY = "the API key is not valid"


@dataclass(frozen=True, slots=True)
class Partner:
    """A registered partner (its key is never kept, only its hash)."""

    id: int
    name: str
    purposes: tuple[str, ...]
    key_prefix: str
    is_source: bool
    created_at: datetime
    disabled: bool

    @property
    def actor(self) -> str:
        """How the audit chain names this partner."""
        return f"partner:{self.name}"


def hash_api_key(api_key: str) -> str:
    """SHA-256 of an API key, in hex."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def parse_purposes(purposes: str | Iterable[str]) -> tuple[str, ...]:
    """Purposes from a comma list or an iterable: known, deduplicated, sorted.

    >>> parse_purposes("rental, lending")
    ('lending', 'rental')
    """
    items = purposes.split(",") if isinstance(purposes, str) else list(purposes)
    found = sorted({item.strip() for item in items if item.strip()})
    if not found:
        raise InvalidInputError("a partner needs at least one purpose")
    unknown = [p for p in found if p not in PURPOSES]
    if unknown:
        raise InvalidInputError(
            f"unknown purpose(s) {', '.join(map(repr, unknown))}; "
            f"expected some of {', '.join(PURPOSES)}"
        )
    return tuple(found)


def _partner(row: RowMapping) -> Partner:
    return Partner(
        id=int(row["id"]),
        name=row["name"],
        purposes=tuple(row["purposes"].split(",")),
        key_prefix=row["key_prefix"],
        is_source=bool(row["is_source"]),
        created_at=row["created_at"],
        disabled=bool(row["disabled"]),
    )


class PartnerRegistry:
    """Partners in the operational store; every change is appended to the audit chain."""

    def __init__(self, engine: Engine, audit: AuditLog, clock: Clock) -> None:
        self._engine = engine
        self._audit = audit
        self._clock = clock

    def add(
        self, name: str, purposes: str | Iterable[str], *, is_source: bool = False
    ) -> tuple[Partner, str]:
        """Register a partner; returns it and its API key, which is shown this once only."""
        if not _NAME.fullmatch(name):
            raise InvalidInputError(
                f"partner name {name!r} must be 2-63 lowercase letters, digits, '-' or '_', "
                "starting with a letter"
            )
        chosen = parse_purposes(purposes)
        api_key = KEY_MARK + secrets.token_urlsafe(32)
        row = {
            "name": name,
            "purposes": ",".join(chosen),
            "api_key_hash": hash_api_key(api_key),
            "key_prefix": api_key[:_PREFIX],
            "is_source": is_source,
            "created_at": self._clock.now(),
            "disabled": False,
        }
        try:
            with self._audit.writing() as conn:
                key = conn.execute(insert(partners).values(row)).inserted_primary_key
                assert key is not None
                detail = {"partner": name, "purposes": list(chosen), "is_source": is_source}
                self._audit.append("operator", "partner.added", None, detail, conn=conn)
        except IntegrityError as exc:
            raise ConflictError(f"a partner named {name!r} already exists") from exc
        return self.get(name), api_key

    def authenticate(self, api_key: str) -> Partner:
        """The enabled partner holding ``api_key``; AuthenticationError for anything else."""
        if not _KEY.fullmatch(api_key):
            raise AuthenticationError(_INVALID_KEY)
        digest = hash_api_key(api_key)
        with self._engine.connect() as conn:
            rows = (
                conn.execute(select(partners).where(partners.c.key_prefix == api_key[:_PREFIX]))
                .mappings()
                .all()
            )
        found: RowMapping | None = None
        for row in rows:
            if hmac.compare_digest(row["api_key_hash"], digest):
                found = row
        if found is None:
            raise AuthenticationError(_INVALID_KEY)
        partner = _partner(found)
        if partner.disabled:
            raise AuthenticationError(f"partner {partner.name!r} is disabled")
        return partner

    def get(self, name: str) -> Partner:
        """The partner named ``name``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(partners).where(partners.c.name == name)).mappings().first()
        if row is None:
            raise NotFoundError(f"no partner named {name!r}")
        return _partner(row)

    def by_id(self, partner_id: int) -> Partner:
        """The partner with id ``partner_id``."""
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(partners).where(partners.c.id == partner_id)).mappings().first()
            )
        if row is None:
            raise NotFoundError(f"no partner with id {partner_id}")
        return _partner(row)

    def disable(self, name: str) -> Partner:
        """Disable a partner: its key stops working at once (its grants stay for the record)."""
        with self._audit.writing() as conn:
            moved = conn.execute(
                update(partners).where(partners.c.name == name).values(disabled=True)
            )
            if moved.rowcount == 0:
                raise NotFoundError(f"no partner named {name!r}")
            self._audit.append("operator", "partner.disabled", None, {"partner": name}, conn=conn)
        return self.get(name)

    def list(self) -> list[Partner]:
        """Every partner, by name."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(partners).order_by(partners.c.name)).mappings().all()
        return [_partner(row) for row in rows]
