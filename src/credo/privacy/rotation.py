"""Master key rotation: re-wrap every wrapped key under the active master key, online.

What a master key wraps: each person's data key (``vault_subjects.wrapped_key``) and the secrets
(``secrets.ciphertext``, the tokenisation secret). The personal values are encrypted with the
data keys and never change, nor does anything in the lake, nor any subject token.

A rotation

1. makes a new key active, so writers wrap new people with it from then on;
2. walks each table in key order, one batch per transaction, re-wrapping the rows whose
   envelope names another key. A row is updated only if it still holds the blob that was read
   (compare and set), so a concurrent write or erasure is never overwritten;
3. walks again until a walk finds nothing left: a writer that read the old active key just
   before the switch may insert behind the first walk.

Readers never wait and never fail meanwhile: each wrapped key names its master key, and old keys
stay readable until retired. After a crash some rows are still under an old key; rotating again
re-wraps only those (no new key is made while an old key still wraps something). Which key wraps
a row is read in SQL from the envelope header (``substr`` over the blob, the same on SQLite and
PostgreSQL), so counting needs neither a schema change nor a decryption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Engine, LargeBinary, Table, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from credo.errors import ConflictError, InvalidInputError, NotFoundError, PrivacyError
from credo.privacy.keys import KeyProvider, MasterKey, RotatingKeyProvider, is_valid_key_id
from credo.privacy.vault import data_key_aad, secret_aad, unwrap, wrap
from credo.storage.tables import secrets, vault_subjects

__all__ = ["DEFAULT_BATCH", "KeyUsage", "Keyring", "RotationReport", "envelope_header"]

DEFAULT_BATCH = 1000
"""Wrapped keys re-wrapped per transaction: short transactions keep the vault writable."""

_ENVELOPE_VERSION = 1  # credo.privacy.envelope: version | len(key_id) | key_id | nonce | sealed
_MAX_WALKS = 3

Progress = Callable[[int, int], None]
"""Called after each committed batch with (wrapped keys re-wrapped so far, total to re-wrap)."""

STATIC_HOWTO = (
    "the master keys come from CREDO_MASTER_KEY, so credo cannot create one. To rotate: "
    "generate a key (`openssl rand -base64 32`), set CREDO_MASTER_KEY=NEW,OLD (the first key "
    "wraps, the others stay readable), run `credo keys rotate` to re-wrap everything under NEW, "
    "then drop OLD from the variable once `credo keys list` shows it wraps nothing"
)


def envelope_header(key_id: str) -> bytes:
    """The first bytes of every envelope made with ``key_id`` (see :mod:`~.envelope`).

    >>> envelope_header("k1")
    b'\\x01\\x02k1'
    """
    raw = key_id.encode("ascii")
    return bytes((_ENVELOPE_VERSION, len(raw))) + raw


@dataclass(frozen=True, slots=True)
class _Wrapped:
    """A column of keys wrapped by a master key, and how each is bound and named."""

    table: Table
    ident: Column[str]
    blob: Column[bytes]
    aad: Callable[[str], bytes]
    what: Callable[[str], str]

    def is_under(self, key_id: str) -> ColumnElement[bool]:
        header = envelope_header(key_id)
        return func.substr(self.blob, 1, len(header), type_=LargeBinary) == header


_WRAPPED = (
    _Wrapped(
        vault_subjects,
        vault_subjects.c.subject,
        vault_subjects.c.wrapped_key,
        data_key_aad,
        lambda subject: f"the data key of subject {subject}",
    ),
    _Wrapped(
        secrets,
        secrets.c.name,
        secrets.c.ciphertext,
        secret_aad,
        lambda name: f"the secret {name!r}",
    ),
)


@dataclass(frozen=True, slots=True)
class KeyUsage:
    """A master key, whether it is the active one and how many wrapped keys it protects."""

    key_id: str
    is_active: bool
    wrapped: int


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What a rotation did.

    Attributes
    ----------
    key_id
        The active key, which now wraps everything.
    created
        True when the rotation made that key; False when it finished an earlier, interrupted
        rotation (or one the operator started by changing ``CREDO_MASTER_KEY``).
    rewrapped
        Wrapped keys re-wrapped by this run.
    batches
        Transactions committed.
    retirable
        Old keys that now wrap nothing and can be retired.
    """

    key_id: str
    created: bool
    rewrapped: int
    batches: int
    retirable: tuple[str, ...]


class Keyring:
    """The master keys of a store and what each protects: usage, rotation, retirement."""

    def __init__(self, engine: Engine, keys: KeyProvider) -> None:
        self._engine = engine
        self._keys = keys

    # --- what each key protects ---------------------------------------------------------------

    def count(self, key_id: str) -> int:
        """How many wrapped keys (data keys and secrets) ``key_id`` wraps."""
        with self._engine.connect() as conn:
            return sum(
                conn.execute(
                    select(func.count()).select_from(w.table).where(w.is_under(key_id))
                ).scalar_one()
                for w in _WRAPPED
            )

    def pending(self, key_id: str) -> int:
        """How many wrapped keys are under another key than ``key_id``."""
        with self._engine.connect() as conn:
            return sum(
                conn.execute(
                    select(func.count()).select_from(w.table).where(~w.is_under(key_id))
                ).scalar_one()
                for w in _WRAPPED
            )

    def usage(self) -> tuple[list[KeyUsage], int]:
        """Every key the provider holds with its count, and how many wrapped keys name a key it
        does not hold (unreadable until that key is given back)."""
        active = self._keys.active().key_id
        ids = sorted({*self._keys.key_ids(), active})
        usage = [KeyUsage(kid, kid == active, self.count(kid)) for kid in ids]
        unknown = self.pending(active) - sum(u.wrapped for u in usage if not u.is_active)
        return usage, unknown

    # --- rotation -------------------------------------------------------------------------------

    def rotate(
        self, *, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
    ) -> RotationReport:
        """Make a new key active and re-wrap everything under it, or finish an earlier rotation.

        Parameters
        ----------
        batch_size
            Wrapped keys per transaction.
        progress
            Called after each committed batch with (re-wrapped so far, total).

        Raises
        ------
        PrivacyError
            When the provider cannot create keys and nothing is left to re-wrap (the message
            says how to rotate such keys), or when a wrapped key cannot be unwrapped (its key
            is missing or it was tampered with): the rotation stops there, batches already
            committed stay re-wrapped.
        ConflictError
            When writers keep wrapping with an old key (a process still configured with it).
        """
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be at least 1, got {batch_size}")
        target = self._keys.active()
        created = False
        if self.pending(target.key_id) == 0:
            if not isinstance(self._keys, RotatingKeyProvider):
                raise PrivacyError(STATIC_HOWTO)
            target = self._keys.create()
            created = True
        rewrapped, batches = self._rewrap_all(target, batch_size, progress or _quiet)
        usage, _unknown = self.usage()
        retirable = tuple(u.key_id for u in usage if not u.is_active and u.wrapped == 0)
        return RotationReport(target.key_id, created, rewrapped, batches, retirable)

    def _rewrap_all(
        self, target: MasterKey, batch_size: int, progress: Progress
    ) -> tuple[int, int]:
        """Walk every table until nothing is left under an old key; return (re-wrapped,
        batches)."""
        done = batches = 0
        for _ in range(_MAX_WALKS):
            left = self.pending(target.key_id)
            if left == 0:
                return done, batches
            total = done + left
            progress(done, total)
            for wrapped in _WRAPPED:
                with self._engine.connect() as conn:
                    # rows added beyond the end during this walk wait for the next one, so a
                    # walk is bounded even while a stale writer keeps appending
                    end = conn.execute(select(func.max(wrapped.ident))).scalar()
                after: str | None = None
                while end is not None:
                    try:
                        after, seen, moved = self._rewrap_batch(
                            wrapped, target, after, end, batch_size
                        )
                    except PrivacyError as exc:
                        raise PrivacyError(
                            f"rotation to key {target.key_id!r} stopped after {done} re-wrapped "
                            f"keys (they stay re-wrapped): {exc}"
                        ) from exc
                    if not seen:
                        break
                    done += moved
                    batches += 1
                    progress(done, max(total, done))
        left = self.pending(target.key_id)
        if left:
            raise ConflictError(
                f"{left} wrapped keys were written under an old key during the rotation to "
                f"{target.key_id!r}; is a process still configured with an old key? Run "
                "`credo keys rotate` again"
            )
        return done, batches

    def _rewrap_batch(
        self, wrapped: _Wrapped, target: MasterKey, after: str | None, end: str, limit: int
    ) -> tuple[str | None, int, int]:
        """Re-wrap, in one transaction, the next ``limit`` rows in (``after``, ``end``] not
        under ``target``; return the last row's id, the rows seen and the rows changed."""
        query = select(wrapped.ident, wrapped.blob).where(
            ~wrapped.is_under(target.key_id), wrapped.ident <= end
        )
        if after is not None:
            query = query.where(wrapped.ident > after)
        query = query.order_by(wrapped.ident).limit(limit)
        moved = 0
        with self._engine.begin() as conn:
            rows = conn.execute(query).all()
            for ident, blob in rows:
                aad = wrapped.aad(ident)
                key = unwrap(self._keys, blob, aad, wrapped.what(ident))
                changed = conn.execute(
                    update(wrapped.table)
                    .where(wrapped.ident == ident, wrapped.blob == blob)
                    .values({wrapped.blob.name: wrap(target, key, aad)})
                )
                moved += changed.rowcount
        return (rows[-1][0] if rows else after), len(rows), moved

    # --- retirement -----------------------------------------------------------------------------

    def retire(self, key_id: str) -> None:
        """Destroy an old master key once nothing is wrapped by it any more.

        Raises
        ------
        ConflictError
            When ``key_id`` is the active key or still wraps something (the count is given).
        NotFoundError
            When the provider holds no such key.
        PrivacyError
            When the provider cannot destroy keys (``CREDO_MASTER_KEY``).
        """
        if not is_valid_key_id(key_id) or key_id not in self._keys.key_ids():
            raise NotFoundError(f"no master key {key_id!r}")
        if key_id == self._keys.active().key_id:
            raise ConflictError(f"key {key_id!r} is the active master key and cannot be retired")
        left = self.count(key_id)
        if left:
            raise ConflictError(
                f"key {key_id!r} still wraps {left} keys; run `credo keys rotate` to re-wrap "
                "them before retiring it"
            )
        if not isinstance(self._keys, RotatingKeyProvider):
            raise PrivacyError(
                f"key {key_id!r} wraps nothing any more; remove it from CREDO_MASTER_KEY to "
                "retire it"
            )
        self._keys.retire(key_id)


def _quiet(_done: int, _total: int) -> None:
    """A progress callback that reports nothing."""
