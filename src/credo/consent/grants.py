"""Partner grants: a partner asks, the person approves or refuses, and may revoke at any time.

The decision is a pure function (:func:`decide`) and denies by default: no grant, a grant of
another partner, one that is pending, refused, revoked or expired, or one whose scope does not
cover the use gives ``allowed=False`` with a reason code. Scopes form a ladder, each disclosing
more than the one before and covering it::

    threshold < band < score < score_reasons

``watchlist`` (negative records) stands apart: it covers only itself and no other scope covers it.

Stored statuses are ``pending``, ``approved``, ``refused`` and ``revoked``; ``expired`` is
computed from the clock (an approved grant past ``expires_at``, a request left unanswered for
:data:`PENDING_DAYS`), so expiry never depends on a job having run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Engine, RowMapping, Select, insert, select, update

from credo.clock import Clock, utc
from credo.consent import pseudonyms
from credo.consent.audit import AuditLog
from credo.consent.partners import Partner
from credo.errors import (
    AuthenticationError,
    ConflictError,
    ConsentDeniedError,
    InvalidInputError,
    NotFoundError,
)
from credo.privacy.tokens import Tokeniser
from credo.storage.tables import authorizations, partners

__all__ = [
    "LADDER",
    "MAX_DURATION_DAYS",
    "PENDING_DAYS",
    "SCOPES",
    "Decision",
    "Grant",
    "GrantDeniedError",
    "GrantService",
    "PartnerGrant",
    "Reason",
    "Scope",
    "Status",
    "covers",
    "decide",
]

Scope = Literal["threshold", "band", "score", "score_reasons", "watchlist"]
Status = Literal["pending", "approved", "refused", "revoked", "expired"]
Reason = Literal[
    "no_grant", "pending", "refused", "revoked", "expired", "other_partner", "scope", "ok"
]
SCOPES: tuple[Scope, ...] = get_args(Scope)
LADDER: tuple[Scope, ...] = ("threshold", "band", "score", "score_reasons")
PENDING_DAYS = 30
"""A request the person has not answered within this many days expires."""
MAX_DURATION_DAYS = 365
"""The longest a grant may last; a partner needing more asks again."""


def covers(granted: str, needed: str) -> bool:
    """Whether a grant of scope ``granted`` covers a use that needs scope ``needed``.

    >>> covers("score", "band"), covers("band", "score"), covers("score_reasons", "watchlist")
    (True, False, False)
    """
    if granted in LADDER and needed in LADDER:
        return LADDER.index(granted) >= LADDER.index(needed)
    return granted == needed == "watchlist"


@dataclass(frozen=True, slots=True)
class Grant:
    """An authorization: a partner's request and, once decided, the person's answer.

    ``status`` is the stored status; :meth:`status_at` gives the effective one.
    """

    id: int
    partner_id: int
    partner: str
    subject: str
    purpose: str
    scope: str
    status: str
    duration_days: int
    requested_at: datetime
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    frozen_until: datetime | None = None
    freeze_reason: str | None = None
    open_id: str | None = None

    def status_at(self, now: datetime) -> Status:
        """The effective status at ``now`` (unknown stored statuses read as ``revoked``)."""
        if self.status == "pending":
            unanswered = now >= self.requested_at + timedelta(days=PENDING_DAYS)
            return "expired" if unanswered else "pending"
        if self.status == "approved":
            active = self.expires_at is not None and now < self.expires_at
            return "approved" if active else "expired"
        if self.status == "refused":
            return "refused"
        return "revoked"

    def is_frozen(self, now: datetime) -> bool:
        """Whether the partner has frozen the grant (not revocable) at ``now``."""
        return self.frozen_until is not None and now < self.frozen_until

    def for_partner(self, now: datetime) -> PartnerGrant:
        """What the partner may see of its own authorization (never the subject token)."""
        return PartnerGrant(
            id=self.id,
            status=self.status_at(now),
            purpose=self.purpose,
            scope=self.scope,
            requested_at=self.requested_at,
            decided_at=self.decided_at,
            expires_at=self.expires_at,
            frozen_until=self.frozen_until,
            open_id=self.open_id,
        )


@dataclass(frozen=True, slots=True)
class PartnerGrant:
    """A partner's view of one of its authorizations."""

    id: int
    status: Status
    purpose: str
    scope: str
    requested_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    frozen_until: datetime | None
    open_id: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a use is allowed, and why (``ok`` when it is)."""

    allowed: bool
    reason: Reason


_DENIED_BY_STATUS: dict[Status, Reason] = {
    "pending": "pending",
    "refused": "refused",
    "revoked": "revoked",
    "expired": "expired",
}


def decide(grant: Grant | None, *, partner_id: int, scope_needed: str, now: datetime) -> Decision:
    """Whether ``grant`` lets partner ``partner_id`` make a use needing ``scope_needed`` at ``now``.

    The partner check comes first, so another partner's grant reveals nothing of its state.

    >>> decide(None, partner_id=1, scope_needed="threshold", now=datetime.now())
    Decision(allowed=False, reason='no_grant')
    """
    if grant is None:
        return Decision(False, "no_grant")
    if grant.partner_id != partner_id:
        return Decision(False, "other_partner")
    status = grant.status_at(now)
    if status != "approved":
        return Decision(False, _DENIED_BY_STATUS[status])
    if not covers(grant.scope, scope_needed):
        return Decision(False, "scope")
    return Decision(True, "ok")


class GrantDeniedError(ConsentDeniedError):
    """A partner's use is not covered by a grant; ``reason`` is :func:`decide`'s reason code."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _grant(row: RowMapping) -> Grant:
    return Grant(**{name: row[name] for name in Grant.__slots__})


def _require_enabled(partner: Partner) -> None:
    if partner.disabled:
        raise AuthenticationError(f"partner {partner.name!r} is disabled")


def _when(instant: datetime) -> str:
    return f"{instant:%Y-%m-%d %H:%M} UTC"


def _preferred(grants: list[Grant], partner_id: int, scope: str, now: datetime) -> Grant:
    """The grant that decides a use: an allowing one if any, else the newest."""
    for grant in grants:
        if decide(grant, partner_id=partner_id, scope_needed=scope, now=now).allowed:
            return grant
    return grants[0]


class GrantService:
    """Authorizations in the operational store; every change is appended to the audit chain.

    Changes run in :meth:`AuditLog.writing` transactions, so a change and its audit entry commit
    together and changes are ordered like the chain.
    """

    def __init__(self, engine: Engine, tokeniser: Tokeniser, audit: AuditLog, clock: Clock):
        self._engine = engine
        self._tokeniser = tokeniser
        self._audit = audit
        self._clock = clock

    # --- partners ------------------------------------------------------------------------------

    def request(
        self,
        partner: Partner,
        identifier: str,
        *,
        purpose: str,
        scope: str = "threshold",
        duration_days: int = 30,
    ) -> Grant:
        """Ask the person known to the partner by ``identifier`` (national id or phone) for
        access; returns the pending authorization (the same one if asked again while pending)."""
        _require_enabled(partner)
        if scope not in SCOPES:
            raise InvalidInputError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
        if not 1 <= duration_days <= MAX_DURATION_DAYS:
            raise InvalidInputError(
                f"duration_days must be between 1 and {MAX_DURATION_DAYS}; got {duration_days}"
            )
        if purpose not in partner.purposes:
            raise ConsentDeniedError(
                f"purpose {purpose!r} is not among partner {partner.name!r}'s purposes "
                f"({', '.join(partner.purposes)})"
            )
        subject = self._tokeniser.subject(identifier)
        now = self._clock.now()
        with self._audit.writing() as conn:
            query = self._select().where(
                authorizations.c.partner_id == partner.id,
                authorizations.c.subject == subject,
                authorizations.c.purpose == purpose,
                authorizations.c.scope == scope,
                authorizations.c.duration_days == duration_days,
                authorizations.c.status == "pending",
            )
            for row in conn.execute(query).mappings():
                if _grant(row).status_at(now) == "pending":
                    return _grant(row)
            values = {
                "partner_id": partner.id,
                "subject": subject,
                "purpose": purpose,
                "scope": scope,
                "status": "pending",
                "duration_days": duration_days,
                "requested_at": now,
            }
            key = conn.execute(insert(authorizations).values(values)).inserted_primary_key
            assert key is not None
            grant = self._owned(conn, int(key[0]))
            detail = {"purpose": purpose, "scope": scope, "duration_days": duration_days}
            self._log(conn, grant, partner.actor, "grant.requested", detail)
        return grant

    def freeze(
        self, partner: Partner, authorization_id: int, *, until: datetime, reason: str
    ) -> Grant:
        """Freeze an approved grant while a contract runs: the person cannot revoke it before
        ``until`` (at most its expiry) and sees ``reason``."""
        _require_enabled(partner)
        now = self._clock.now()
        until = utc(until)
        reason = reason.strip()
        if not reason or len(reason) > 200:
            raise InvalidInputError("a freeze needs a reason of 1 to 200 characters")
        with self._audit.writing() as conn:
            grant = self._owned(conn, authorization_id, partner_id=partner.id)
            _expect(grant, "approved", now, "frozen")
            assert grant.expires_at is not None
            if not now < until <= grant.expires_at:
                raise InvalidInputError(
                    f"a freeze must end after now and no later than the grant's expiry "
                    f"({_when(grant.expires_at)}); got {_when(until)}"
                )
            values = {"frozen_until": until, "freeze_reason": reason}
            grant = self._update(conn, grant, values)
            self._log(conn, grant, partner.actor, "grant.frozen", {"until": until.isoformat()})
        return grant

    def status_for_partner(self, partner: Partner, authorization_id: int) -> PartnerGrant:
        """The partner's view of one of its own authorizations."""
        with self._engine.connect() as conn:
            grant = self._owned(conn, authorization_id, partner_id=partner.id)
        return grant.for_partner(self._clock.now())

    def check(
        self, partner: Partner, open_id: str, scope: str, *, conn: Connection | None = None
    ) -> tuple[Decision, Grant | None]:
        """Decide a partner's use of ``open_id`` needing ``scope`` (nothing is recorded).

        Returns the decision and the grant that decided it (``None`` when the ``open_id`` is
        known to no grant at all).
        """
        _require_enabled(partner)
        now = self._clock.now()
        grants = self._by_open_id(conn, open_id)
        mine = [g for g in grants if g.partner_id == partner.id]
        if not grants:
            return decide(None, partner_id=partner.id, scope_needed=scope, now=now), None
        chosen = _preferred(mine, partner.id, scope, now) if mine else grants[0]
        return decide(chosen, partner_id=partner.id, scope_needed=scope, now=now), chosen

    def lookup(self, partner: Partner, open_id: str) -> tuple[str, Grant]:
        """The person behind one of the partner's ``open_id`` values and the grant in force
        (the newest active one, else the newest); GrantDeniedError when the partner has none."""
        _require_enabled(partner)
        now = self._clock.now()
        mine = [g for g in self._by_open_id(None, open_id) if g.partner_id == partner.id]
        if not mine:
            raise GrantDeniedError("no_grant", f"partner {partner.name!r} has no such open_id")
        chosen = next((g for g in mine if g.status_at(now) == "approved"), mine[0])
        return chosen.subject, chosen

    # --- people --------------------------------------------------------------------------------

    def grants_for(self, subject: str) -> list[Grant]:
        """Every authorization about ``subject``, newest first."""
        query = self._select().where(authorizations.c.subject == subject)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(authorizations.c.id.desc())).mappings()
            return [_grant(row) for row in rows]

    def pending_for(self, subject: str) -> list[Grant]:
        """The requests waiting for ``subject``'s answer, newest first."""
        now = self._clock.now()
        return [g for g in self.grants_for(subject) if g.status_at(now) == "pending"]

    def approve(self, subject: str, authorization_id: int) -> Grant:
        """Approve a pending request: the grant runs for its duration from now and the partner
        gets its ``open_id`` for the person."""
        now = self._clock.now()
        with self._audit.writing() as conn:
            grant = self._owned(conn, authorization_id, subject=subject)
            _expect(grant, "pending", now, "approved")
            values = {
                "status": "approved",
                "decided_at": now,
                "expires_at": now + timedelta(days=grant.duration_days),
                "open_id": pseudonyms.open_id(self._tokeniser, grant.partner, subject),
            }
            grant = self._update(conn, grant, values)
            assert grant.expires_at is not None
            detail = {"scope": grant.scope, "expires_at": grant.expires_at.isoformat()}
            self._log(conn, grant, "person", "grant.approved", detail)
        return grant

    def refuse(self, subject: str, authorization_id: int) -> Grant:
        """Refuse a pending request."""
        now = self._clock.now()
        with self._audit.writing() as conn:
            grant = self._owned(conn, authorization_id, subject=subject)
            _expect(grant, "pending", now, "refused")
            grant = self._update(conn, grant, {"status": "refused", "decided_at": now})
            self._log(conn, grant, "person", "grant.refused", {})
        return grant

    def revoke(self, subject: str, authorization_id: int) -> Grant:
        """Revoke an approved grant at once, unless the partner froze it (ConflictError says
        until when and why)."""
        now = self._clock.now()
        with self._audit.writing() as conn:
            grant = self._owned(conn, authorization_id, subject=subject)
            _expect(grant, "approved", now, "revoked")
            if grant.is_frozen(now):
                assert grant.frozen_until is not None
                raise ConflictError(
                    f"authorization {grant.id} is frozen by {grant.partner} until "
                    f"{_when(grant.frozen_until)} ({grant.freeze_reason}); "
                    "it can be revoked after that"
                )
            grant = self._update(conn, grant, {"status": "revoked", "revoked_at": now})
            self._log(conn, grant, "person", "grant.revoked", {})
        return grant

    # --- store ---------------------------------------------------------------------------------

    @staticmethod
    def _select() -> Select[Any]:
        return select(authorizations, partners.c.name.label("partner")).join(
            partners, partners.c.id == authorizations.c.partner_id
        )

    def _find(self, conn: Connection, authorization_id: int) -> Grant | None:
        query = self._select().where(authorizations.c.id == authorization_id)
        row = conn.execute(query).mappings().first()
        return None if row is None else _grant(row)

    def _owned(
        self,
        conn: Connection,
        authorization_id: int,
        *,
        subject: str | None = None,
        partner_id: int | None = None,
    ) -> Grant:
        # someone else's authorization is reported exactly like a missing one
        # (the message depends on who asks, never on whether the id exists)
        grant = self._find(conn, authorization_id)
        whose = "partner" if partner_id is not None else "person"
        if (
            grant is None
            or subject not in (None, grant.subject)
            or partner_id not in (None, grant.partner_id)
        ):
            raise NotFoundError(f"no authorization {authorization_id} for this {whose}")
        return grant

    def _by_open_id(self, conn: Connection | None, open_id: str) -> list[Grant]:
        query = self._select().where(authorizations.c.open_id == open_id)
        query = query.order_by(authorizations.c.id.desc())
        if conn is not None:
            return [_grant(row) for row in conn.execute(query).mappings()]
        with self._engine.connect() as own:
            return [_grant(row) for row in own.execute(query).mappings()]

    def _update(self, conn: Connection, grant: Grant, values: dict[str, Any]) -> Grant:
        conn.execute(update(authorizations).where(authorizations.c.id == grant.id).values(values))
        found = self._find(conn, grant.id)
        assert found is not None
        return found

    def _log(
        self, conn: Connection, grant: Grant, actor: str, action: str, extra: dict[str, Any]
    ) -> None:
        detail = {"authorization": grant.id, "partner": grant.partner, **extra}
        self._audit.append(actor, action, grant.subject, detail, conn=conn)


def _expect(grant: Grant, status: Status, now: datetime, done: str) -> None:
    actual = grant.status_at(now)
    if actual != status:
        raise ConflictError(
            f"authorization {grant.id} is {actual}; it must be {status} to be {done}"
        )
