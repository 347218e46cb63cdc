"""People's accounts: passwords, one-time codes and login sessions; operators' tokens.

A person is known by an identifier as the sources know them (national id or phone), which is
only ever turned into the subject token (:meth:`~credo.privacy.tokens.Tokeniser.subject`):
neither the identifier nor the password is stored or written to the audit chain.

- **Passwords** are hashed with argon2id (:class:`argon2.PasswordHasher`); a hash made with
  older parameters is replaced at the next successful login. An unknown person's login checks a
  dummy hash, so the time taken does not tell who has an account, and the error is the same.
- **Sessions** are bearer tokens of 256 random bits (``secrets.token_urlsafe(32)``); only their
  SHA-256 is kept (``sessions.token_hash``): a random token that long needs no slow hash.
- **One-time codes** (the demo's stand-in for an SMS) are 8 digits, valid 15 minutes, single
  use; issuing one cancels the person's earlier codes. Eight digits can be guessed online, so
  after :data:`CODE_ATTEMPTS` wrong codes within :data:`CODE_TTL` the person's codes are
  cancelled and code logins refused until the window passes.
- **Operator tokens** are sessions of kind ``operator`` with no subject.

Rows of ``sessions`` by kind: ``person`` (a login), ``operator``, ``code`` (the hash of subject
and code) and ``code_miss`` (one wrong code, counted against :data:`CODE_ATTEMPTS`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Engine, delete, func, insert, select, update

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.consent.collection import ALL_SOURCES, ConsentRegistry
from credo.errors import AuthenticationError, InvalidInputError
from credo.events.sources import SourceRegistry
from credo.privacy.tokens import Tokeniser
from credo.storage.tables import people_credentials, sessions

__all__ = [
    "CODE_ATTEMPTS",
    "CODE_DIGITS",
    "CODE_TTL",
    "OPERATOR_MAX_HOURS",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "PeopleAccounts",
    "Session",
    "change_consents",
    "hash_token",
]

PASSWORD_MIN = 10
PASSWORD_MAX = 256
"""Longer passwords are refused: each would cost the server a long hash for nothing."""
CODE_DIGITS = 8
CODE_TTL = timedelta(minutes=15)
CODE_ATTEMPTS = 5
"""Wrong codes a person's code logins survive within :data:`CODE_TTL`."""
OPERATOR_MAX_HOURS = 24 * 30

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")
_BAD_LOGIN = "the identifier or the password is wrong"
_BAD_CODE = "the identifier or the code is wrong, or the code has expired"
_BAD_SESSION = "the session is unknown or has expired; log in again"
_BAD_OPERATOR = "the operator token is unknown or has expired"


@dataclass(frozen=True, slots=True)
class Session:
    """A person's session: its bearer token (shown once, never stored), whose it is and when
    it ends."""

    token: str = field(repr=False)
    subject: str
    expires_at: datetime


def hash_token(token: str) -> str:
    """SHA-256 of a session token, in hex (what ``sessions.token_hash`` holds)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _octets(password: str) -> bytes:
    # JSON may carry lone surrogates, which strict UTF-8 cannot encode: keep them, never fail
    return password.encode("utf-8", "surrogatepass")


def _code_hash(subject: str, code: str) -> str:
    # the subject is hashed in: two people may hold the same digits at the same time
    return hash_token(f"code:{subject}:{code}")


class PeopleAccounts:
    """People's credentials and sessions, and operators' tokens, in the operational store."""

    def __init__(
        self,
        engine: Engine,
        tokeniser: Tokeniser,
        audit: AuditLog,
        clock: Clock,
        session_hours: int,
        *,
        hasher: PasswordHasher | None = None,
    ) -> None:
        if session_hours < 1:
            raise InvalidInputError(f"session_hours must be at least 1; got {session_hours}")
        self._engine = engine
        self._tokeniser = tokeniser
        self._audit = audit
        self._clock = clock
        self._session = timedelta(hours=session_hours)
        self._hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash checked when the person is unknown, so that takes as long as a real check."""
        return str(self._hasher.hash(secrets.token_urlsafe(16)))

    # --- passwords -----------------------------------------------------------------------------

    def set_password(self, identifier: str, password: str) -> None:
        """Set (or replace) the password of the person known by ``identifier``."""
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise InvalidInputError(
                f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters; got {len(password)}"
            )
        subject = self._tokeniser.subject(identifier)
        digest = self._hasher.hash(_octets(password))
        with self._audit.writing() as conn:
            replaced = self._store_hash(conn, subject, digest)
            detail = {"replaced": replaced}
            self._audit.append("operator", "person.password_set", subject, detail, conn=conn)

    def has_password(self, subject: str) -> bool:
        """Whether the person with token ``subject`` has a password set."""
        return self._password_hash(subject) is not None

    def login(self, identifier: str, password: str) -> Session:
        """A new session for the person whose password this is; AuthenticationError (one
        message whatever was wrong) otherwise."""
        subject = self._subject_or_none(identifier)
        stored = None if subject is None else self._password_hash(subject)
        if subject is None or stored is None:
            self._verify(self._dummy_hash, password)
            raise AuthenticationError(_BAD_LOGIN)
        if not self._verify(stored, password):
            raise AuthenticationError(_BAD_LOGIN)
        with self._audit.writing() as conn:
            if self._hasher.check_needs_rehash(stored):
                self._store_hash(conn, subject, self._hasher.hash(_octets(password)))
            return self._open(conn, subject, "password")

    # --- one-time codes ------------------------------------------------------------------------

    def issue_code(self, identifier: str) -> str:
        """A one-time login code for the person known by ``identifier`` (earlier codes stop
        working)."""
        subject = self._tokeniser.subject(identifier)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        now = self._clock.now()
        with self._audit.writing() as conn:
            self._purge(conn, subject)
            conn.execute(delete(sessions).where(_mine(subject, "code")))
            conn.execute(
                insert(sessions).values(
                    token_hash=_code_hash(subject, code),
                    subject=subject,
                    kind="code",
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            )
            detail = {"expires_at": (now + CODE_TTL).isoformat()}
            self._audit.append("operator", "person.code_issued", subject, detail, conn=conn)
        return code

    def login_with_code(self, identifier: str, code: str) -> Session:
        """A new session in exchange for a valid one-time code (which is then used up)."""
        subject = self._subject_or_none(identifier)
        if subject is None or not _CODE.fullmatch(code):
            raise AuthenticationError(_BAD_CODE)
        now = self._clock.now()
        session: Session | None = None
        with self._audit.writing() as conn:
            self._purge(conn, subject)
            misses = conn.execute(
                select(func.count()).select_from(sessions).where(_mine(subject, "code_miss"))
            ).scalar_one()
            used = 0
            if misses < CODE_ATTEMPTS:
                # deleting is the check: of two concurrent uses of a code, only one deletes it
                used = conn.execute(
                    delete(sessions).where(
                        sessions.c.token_hash == _code_hash(subject, code),
                        _mine(subject, "code"),
                        sessions.c.expires_at > now,
                    )
                ).rowcount
            if used == 1:
                conn.execute(delete(sessions).where(_mine(subject, "code_miss")))
                session = self._open(conn, subject, "code")
            elif misses < CODE_ATTEMPTS:
                self._miss(conn, subject, now, misses + 1)
        if session is None:
            raise AuthenticationError(_BAD_CODE)
        return session

    # --- sessions ------------------------------------------------------------------------------

    def authenticate(self, token: str) -> str:
        """The subject of a person's live session; AuthenticationError otherwise."""
        subject = self._live(token, "person")
        if subject is None:
            raise AuthenticationError(_BAD_SESSION)
        return subject

    def logout(self, token: str) -> None:
        """End a person's session (nothing happens for an unknown token)."""
        if _TOKEN.fullmatch(token):
            with self._engine.begin() as conn:
                conn.execute(
                    delete(sessions).where(
                        sessions.c.token_hash == hash_token(token), sessions.c.kind == "person"
                    )
                )

    # --- operators -----------------------------------------------------------------------------

    def issue_operator_token(self, *, hours: int = 24) -> str:
        """A new operator token valid ``hours`` (shown this once; only its hash is kept)."""
        if not 1 <= hours <= OPERATOR_MAX_HOURS:
            raise InvalidInputError(
                f"an operator token lasts 1 to {OPERATOR_MAX_HOURS} hours; got {hours}"
            )
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires = now + timedelta(hours=hours)
        with self._audit.writing() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
            conn.execute(
                insert(sessions).values(
                    token_hash=hash_token(token),
                    subject=None,
                    kind="operator",
                    created_at=now,
                    expires_at=expires,
                )
            )
            detail = {"expires_at": expires.isoformat()}
            self._audit.append("operator", "operator.token_issued", None, detail, conn=conn)
        return token

    def authenticate_operator(self, token: str) -> None:
        """Return when ``token`` is a live operator token; AuthenticationError otherwise."""
        if self._live(token, "operator") is None:
            raise AuthenticationError(_BAD_OPERATOR)

    # --- store ---------------------------------------------------------------------------------

    def _subject_or_none(self, identifier: str) -> str | None:
        # a malformed identifier is refused like an unknown one: a login says nothing more
        try:
            return self._tokeniser.subject(identifier)
        except InvalidInputError:
            return None

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, _octets(password)))
        except (VerificationError, InvalidHashError):
            return False

    def _password_hash(self, subject: str) -> str | None:
        query = select(people_credentials.c.password_hash).where(
            people_credentials.c.subject == subject
        )
        with self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else str(found)

    def _store_hash(self, conn: Connection, subject: str, digest: str) -> bool:
        """Write ``subject``'s password hash; whether it replaced one."""
        mine = people_credentials.c.subject == subject
        moved = conn.execute(update(people_credentials).where(mine).values(password_hash=digest))
        if moved.rowcount:
            return True
        conn.execute(
            insert(people_credentials).values(
                subject=subject, password_hash=digest, created_at=self._clock.now()
            )
        )
        return False

    def _open(self, conn: Connection, subject: str, method: str) -> Session:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires = now + self._session
        self._purge(conn, subject)
        conn.execute(
            insert(sessions).values(
                token_hash=hash_token(token),
                subject=subject,
                kind="person",
                created_at=now,
                expires_at=expires,
            )
        )
        self._audit.append("person", "person.login", subject, {"method": method}, conn=conn)
        return Session(token=token, subject=subject, expires_at=expires)

    def _miss(self, conn: Connection, subject: str, now: datetime, misses: int) -> None:
        conn.execute(
            insert(sessions).values(
                token_hash=hash_token(secrets.token_urlsafe(32)),
                subject=subject,
                kind="code_miss",
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
        if misses >= CODE_ATTEMPTS:
            conn.execute(delete(sessions).where(_mine(subject, "code")))

    def _purge(self, conn: Connection, subject: str) -> None:
        now = self._clock.now()
        conn.execute(
            delete(sessions).where(sessions.c.subject == subject, sessions.c.expires_at <= now)
        )

    def _live(self, token: str, kind: str) -> str | None:
        """The subject ('' for an operator) of a live session of ``kind``, else None."""
        if not _TOKEN.fullmatch(token):
            return None
        query = select(sessions.c.subject, sessions.c.expires_at).where(
            sessions.c.token_hash == hash_token(token), sessions.c.kind == kind
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at <= self._clock.now():
            return None
        return str(row.subject or "")


def _mine(subject: str, kind: str) -> ColumnElement[bool]:
    return (sessions.c.subject == subject) & (sessions.c.kind == kind)


def change_consents(
    consents: ConsentRegistry,
    sources: SourceRegistry,
    audit: AuditLog,
    subject: str,
    choices: Sequence[tuple[str, str, bool]],
) -> None:
    """Record a signed-in person's own collection choices, (category, source or ``*``,
    granted), and append each to the audit chain in the same transaction."""
    named = {source for _category, source, _granted in choices if source != ALL_SOURCES}
    unknown = sorted(named - set(sources.find(named)))
    if unknown:
        raise InvalidInputError(f"unknown source(s) {', '.join(map(repr, unknown))}")
    with audit.writing() as conn:
        consents.choose(subject, choices, via="api", conn=conn)
        for category, source, granted in choices:
            action = "consent.granted" if granted else "consent.withdrawn"
            detail = {"category": category, "source": source, "via": "api"}
            audit.append("person", action, subject, detail, conn=conn)
