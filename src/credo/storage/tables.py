"""Tables of the operational store (SQLite by default, PostgreSQL at scale).

Only tokens, ciphertexts and operational facts live here: personal data is in ``vault_fields``,
encrypted with a per-person data key that is itself wrapped by the master key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

__all__ = [
    "UTCDateTime",
    "audit_log",
    "audit_subjects",
    "authorizations",
    "consent_log",
    "consents",
    "disputes",
    "erasures",
    "ingest_runs",
    "metadata",
    "models",
    "partners",
    "people_credentials",
    "pointers",
    "reliability_estimates",
    "runs",
    "scores",
    "secrets",
    "sessions",
    "sources",
    "threshold_probes",
    "vault_fields",
    "vault_subjects",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; credo stores UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SUBJECT = 64  # length of a subject token column (tokens are 32 hex characters today)
SOURCE = 63

sources = Table(
    "sources",
    metadata,
    Column("name", String(SOURCE), primary_key=True),
    Column("categories", String(200), nullable=False),
    Column("reliability", Float, nullable=False),
    Column("reliability_pinned", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    # how the source's disputes ended (kept when the people who disputed are erased)
    Column("disputes_upheld", Integer, nullable=False, default=0, server_default="0"),
    Column("disputes_rejected", Integer, nullable=False, default=0, server_default="0"),
    # the reliability the operator declared at registration: the prior of every estimate
    Column("reliability_declared", Float, nullable=False, default=1.0, server_default="1.0"),
)

reliability_estimates = Table(
    "reliability_estimates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(SOURCE), nullable=False, index=True),
    Column("estimated_at", UTCDateTime, nullable=False),
    Column("estimate", Float, nullable=False),
    Column("previous", Float, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("evidence", Text, nullable=False),
)
"""Every stored reliability estimate of a source: the value, the weight it replaced, whether
it became the weight (not when the source is pinned) and its evidence (JSON counts of facts,
agreements and dispute outcomes; never anything about a person)."""

consents = Table(
    "consents",
    metadata,
    Column("subject", String(SUBJECT), primary_key=True),
    Column("category", String(16), primary_key=True),
    # "*" means every source; a source-specific row overrides it for that source
    Column("source", String(SOURCE), primary_key=True),
    Column("granted", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

consent_log = Table(
    "consent_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(SUBJECT), nullable=False, index=True),
    Column("category", String(16), nullable=False),
    Column("source", String(SOURCE), nullable=False),
    Column("action", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("via", String(32), nullable=False),
)

secrets = Table(
    "secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

vault_subjects = Table(
    "vault_subjects",
    metadata,
    Column("subject", String(SUBJECT), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

vault_fields = Table(
    "vault_fields",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "subject",
        String(SUBJECT),
        ForeignKey("vault_subjects.subject", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("field", String(32), nullable=False),
    Column("source", String(SOURCE), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
    UniqueConstraint("subject", "field", "source", "fingerprint"),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(SOURCE), nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("inputs", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("read", BigInteger, nullable=False, default=0),
    Column("accepted", BigInteger, nullable=False, default=0),
    Column("duplicates", BigInteger, nullable=False, default=0),
    Column("rejected", BigInteger, nullable=False, default=0),
    Column("rejects_by_reason", Text, nullable=False, default="{}"),
    Column("lake_version", BigInteger, nullable=True),
)

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
    Column("trained_as_of", UTCDateTime, nullable=True),
    Column("origin", Text, nullable=False, default=""),
    Column("auc", Float, nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("artifact", Text, nullable=False),
)
"""Registered models: the artifact is the model (JSON), at most one is active."""

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("as_of", UTCDateTime, nullable=False, index=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=True),
    Column("engine", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("summary", Text, nullable=False, default="{}"),
)
"""Monthly scoring runs; only a ``published`` run's scores are ever served."""

scores = Table(
    "scores",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("subject", String(SUBJECT), primary_key=True, index=True),
    Column("score", Integer, nullable=True),
    Column("na_reason", String(200), nullable=True),
    Column("band", String(16), nullable=True),
    Column("percentile", Float, nullable=True),
    Column("detail", Text, nullable=False, default="{}"),
)
"""One row per person per run; ``score`` is NULL (N/A) with ``na_reason`` below the minimum
scoring criteria; ``detail`` holds dimension scores, reasons, tips and privileges as JSON."""

pointers = Table(
    "pointers",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""Named pointers, e.g. ``current`` → the published run being served (switched in one
transaction)."""

PARTNER = 63
HASH = 64  # a SHA-256 digest in hex

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(PARTNER), nullable=False, unique=True),
    Column("purposes", String(200), nullable=False),
    Column("api_key_hash", String(HASH), nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False, index=True),
    Column("is_source", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)
"""Partners that query scores; ``purposes`` is a comma list, the API key is stored as the
SHA-256 of a 256-bit random key (``key_prefix`` finds the row and is shown to operators)."""

people_credentials = Table(
    "people_credentials",
    metadata,
    Column("subject", String(SUBJECT), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
"""A person's password, hashed with argon2id."""

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(HASH), primary_key=True),
    Column("subject", String(SUBJECT), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
"""Login sessions of people (``subject`` set) and operators; only the token's hash is kept."""

authorizations = Table(
    "authorizations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("subject", String(SUBJECT), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("duration_days", Integer, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("frozen_until", UTCDateTime, nullable=True),
    Column("freeze_reason", String(200), nullable=True),
    Column("open_id", String(SUBJECT), nullable=True, index=True),
)
"""A partner's request to read a person's score and the person's answer (a grant once
approved); ``status`` is pending, approved, refused or revoked, expiry is computed from
``expires_at``; ``open_id`` is the partner's pseudonym of the person, set on approval."""

threshold_probes = Table(
    "threshold_probes",
    metadata,
    Column(
        "partner_id",
        Integer,
        ForeignKey("partners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("subject", String(SUBJECT), primary_key=True),
    Column("threshold", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)
"""The distinct thresholds a partner asked about a person, with the last time each was asked
(the minimal-disclosure probing rule counts those within its window)."""

audit_log = Table(
    "audit_log",
    metadata,
    # ids are assigned by the appender under the chain's lock: a sequence could skip values on
    # a rollback, and a gap must only ever mean a removed entry
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(SUBJECT), nullable=True, index=True),
    # what the hash covers instead of the subject: sha256(person's audit salt + subject)
    Column("subject_ref", String(HASH), nullable=True),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(HASH), nullable=False),
    Column("hash", String(HASH), nullable=False),
)
"""Append-only, hash-chained record of every disclosure and every consent or grant change;
``detail`` is JSON without personal data (people appear as subject tokens only). The hash
covers ``subject_ref``, not ``subject``, so erasing a person blanks ``subject`` and destroys
their salt without breaking the chain (see :mod:`credo.consent.audit`)."""

audit_subjects = Table(
    "audit_subjects",
    metadata,
    Column("subject", String(SUBJECT), primary_key=True),
    Column("salt", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
"""Each person's random audit salt: binds their entries' ``subject_ref`` to their token while
they exist; destroyed when they are erased, which leaves their entries unlinkable."""

EVENT_ID = 128  # the longest event id a source may send

disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(SUBJECT), nullable=False, index=True),
    Column("source", String(SOURCE), nullable=False),
    Column("event_id", String(EVENT_ID), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("statement", LargeBinary, nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("resolved_by", String(16), nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("evidence", LargeBinary, nullable=True),
    UniqueConstraint("source", "event_id"),
)
"""People's disputes of events (one per event, ever): ``status`` is pending, upheld (the
person is right: the record is left out for good) or rejected (the record stands);
``resolved_by`` is ``source`` or ``clock``. The statement and the evidence are free text that
may name people, so they are encrypted with the person's data key (see
:mod:`credo.rights.disputes`)."""

erasures = Table(
    "erasures",
    metadata,
    Column("subject", String(SUBJECT), primary_key=True),
    Column("requested_at", UTCDateTime, nullable=False),
)
"""People erased from the store whose events are still to be purged from the lake (the purge
waits for a monthly run reading the lake; the next run does it first). A row goes with the
purge, so no token of an erased person outlives it."""
