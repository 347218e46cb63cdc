"""The identity vault: personal data, encrypted field by field with a per-person data key.

Each person (subject token) has a random 256-bit data key, stored only wrapped by the master key.
Each personal value is AES-GCM encrypted with that data key and bound to (subject, field) by the
associated data. Destroying a person's wrapped key makes every copy of their values unreadable,
backups included; rotating the master key re-wraps data keys without touching the values.

Every failure to decrypt raises :class:`~credo.errors.PrivacyError` naming the subject token (or
the secret) and the key id, never an empty value: a missing or retired master key, a wrong key
and a tampered ciphertext all fail closed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from credo.clock import Clock
from credo.errors import NotFoundError, PrivacyError
from credo.privacy.envelope import decrypt, encrypt
from credo.privacy.keys import KeyProvider, MasterKey
from credo.storage.db import insert_ignore
from credo.storage.tables import secrets as secrets_table
from credo.storage.tables import vault_fields, vault_subjects

__all__ = [
    "TOKEN_SECRET",
    "IdentityVault",
    "PersonalValue",
    "VaultRecord",
    "data_key_aad",
    "secret_aad",
    "unwrap",
    "wrap",
]

TOKEN_SECRET = "token"  # noqa: S105 - the name of a row, not a secret
"""Name of the tokenisation secret's row in the ``secrets`` table."""
_DATA_KEY_ID = "dek1"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class PersonalValue:
    """A personal value to store: whose, which field, from which source, fingerprint, when."""

    subject: str
    field: str
    source: str
    value: str
    fingerprint: str
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class VaultRecord:
    """A decrypted personal value."""

    field: str
    source: str
    value: str
    observed_at: datetime

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return f"VaultRecord(field={self.field!r}, source={self.source!r}, value=<redacted>)"


def data_key_aad(subject: str) -> bytes:
    """Associated data of a person's wrapped data key: binds it to the subject token."""
    return b"dek|" + subject.encode("ascii")


def secret_aad(name: str) -> bytes:
    """Associated data of a wrapped secret: binds it to its name."""
    return b"secret|" + name.encode("ascii")


def wrap(master: MasterKey, key: bytes, aad: bytes) -> bytes:
    """Encrypt ``key`` under the master key, recording the master key's id."""
    return encrypt(master.material, master.key_id, key, aad)


def unwrap(keys: KeyProvider, blob: bytes, aad: bytes, what: str) -> bytes:
    """Decrypt a wrapped key with the master key whose id it records.

    Parameters
    ----------
    keys
        Where the master key named in ``blob`` is looked up (any key, not only the active one:
        values wrapped before a rotation stay readable until re-wrapped).
    blob, aad
        The wrapped key and the associated data it is bound to.
    what
        What is unwrapped, for the error message (a subject token, never personal data).

    Raises
    ------
    PrivacyError
        When the master key is unknown (never existed, retired, missing file), wrong, or the
        blob was tampered with; the message names ``what`` and the key id.
    """
    try:
        return decrypt(keys.get, blob, aad)
    except PrivacyError as exc:
        raise PrivacyError(f"cannot unwrap {what}: {exc}") from exc
    except UnicodeDecodeError as exc:  # a tampered key id that is not even ASCII
        raise PrivacyError(f"cannot unwrap {what}: the ciphertext's key id is corrupt") from exc


def _field_aad(subject: str, field: str) -> bytes:
    return f"field|{subject}|{field}".encode()


class IdentityVault:
    """Encrypted personal data per subject, in the operational store."""

    def __init__(self, engine: Engine, keys: KeyProvider, clock: Clock) -> None:
        self._engine = engine
        self._keys = keys
        self._clock = clock
        self._deks: dict[str, bytes] = {}

    # --- the tokenisation secret ---------------------------------------------------------------

    def create_token_secret(self) -> bool:
        """Create the tokenisation secret if absent (wrapped by the master key); True if created."""
        blob = wrap(self._keys.active(), secrets.token_bytes(32), secret_aad(TOKEN_SECRET))
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(secrets_table.c.name).where(secrets_table.c.name == TOKEN_SECRET)
            ).first()
            if exists:
                return False
            conn.execute(
                secrets_table.insert(),
                {"name": TOKEN_SECRET, "ciphertext": blob, "created_at": self._clock.now()},
            )
        return True

    def token_secret(self) -> bytes:
        """The secret of subject tokens (fails closed when missing or undecryptable)."""
        with self._engine.connect() as conn:
            blob = conn.execute(
                select(secrets_table.c.ciphertext).where(secrets_table.c.name == TOKEN_SECRET)
            ).scalar()
        if blob is None:
            raise PrivacyError("no tokenisation secret in the store; run `credo init` first")
        return unwrap(self._keys, blob, secret_aad(TOKEN_SECRET), "the tokenisation secret")

    # --- data keys -----------------------------------------------------------------------------

    def data_keys(self, subjects: Sequence[str]) -> dict[str, bytes]:
        """Data keys of ``subjects``, creating (and storing) keys for new ones."""
        return self._data_keys_and_new(subjects)[0]

    def _data_keys_and_new(self, subjects: Sequence[str]) -> tuple[dict[str, bytes], set[str]]:
        wanted = [s for s in dict.fromkeys(subjects) if s not in self._deks]
        found: dict[str, bytes] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = select(vault_subjects.c.subject, vault_subjects.c.wrapped_key).where(
                    vault_subjects.c.subject.in_(chunk)
                )
                for subject, wrapped in conn.execute(query):
                    found[subject] = self._unwrap_data_key(subject, wrapped)
        new = [s for s in wanted if s not in found]
        if new:
            master = self._keys.active()
            now = self._clock.now()
            rows = []
            for subject in new:
                dek = secrets.token_bytes(32)
                found[subject] = dek
                wrapped = wrap(master, dek, data_key_aad(subject))
                rows.append({"subject": subject, "wrapped_key": wrapped, "created_at": now})
            with self._engine.begin() as conn:
                insert_ignore(conn, vault_subjects, rows)
        self._deks.update(found)
        return {s: self._deks[s] for s in subjects}, set(new)

    def _unwrap_data_key(self, subject: str, wrapped: bytes) -> bytes:
        return unwrap(
            self._keys, wrapped, data_key_aad(subject), f"the data key of subject {subject}"
        )

    def forget_cached_keys(self) -> None:
        """Drop data keys held in memory (call when a long job ends)."""
        self._deks.clear()

    # --- values --------------------------------------------------------------------------------

    def store(self, values: Iterable[PersonalValue]) -> int:
        """Encrypt and store new values; return how many were new.

        A value already held from the same source (same fingerprint) is kept once, with the
        first time it was seen: sources resend unchanged profiles every month.
        """
        unique: dict[tuple[str, str, str, str], PersonalValue] = {}
        for v in values:
            key = (v.subject, v.field, v.source, v.fingerprint)
            if key not in unique or v.observed_at < unique[key].observed_at:
                unique[key] = v
        keys, new = self._data_keys_and_new(sorted({key[0] for key in unique}))
        held = self._held(sorted(set(keys) - new))  # a new person holds nothing yet
        batch = [v for key, v in unique.items() if key not in held]
        if not batch:
            return 0
        rows = [
            {
                "subject": v.subject,
                "field": v.field,
                "source": v.source,
                "fingerprint": v.fingerprint,
                "ciphertext": encrypt(
                    keys[v.subject],
                    _DATA_KEY_ID,
                    v.value.encode("utf-8"),
                    _field_aad(v.subject, v.field),
                ),
                "observed_at": v.observed_at,
            }
            for v in batch
        ]
        with self._engine.begin() as conn:
            insert_ignore(conn, vault_fields, rows)
        return len(rows)

    def _held(self, subjects: Sequence[str]) -> set[tuple[str, str, str, str]]:
        """Keys (subject, field, source, fingerprint) of the values held for ``subjects``."""
        held: set[tuple[str, str, str, str]] = set()
        columns = (
            vault_fields.c.subject,
            vault_fields.c.field,
            vault_fields.c.source,
            vault_fields.c.fingerprint,
        )
        with self._engine.connect() as conn:
            for start in range(0, len(subjects), _CHUNK):
                chunk = subjects[start : start + _CHUNK]
                query = select(*columns).where(vault_fields.c.subject.in_(chunk))
                held.update((s, f, o, p) for s, f, o, p in conn.execute(query))
        return held

    def read(self, subject: str) -> list[VaultRecord]:
        """Every personal value held for ``subject``, decrypted."""
        with self._engine.connect() as conn:
            wrapped = conn.execute(
                select(vault_subjects.c.wrapped_key).where(vault_subjects.c.subject == subject)
            ).scalar()
            if wrapped is None:
                raise NotFoundError(f"no vault entry for subject {subject}")
            rows = conn.execute(
                select(
                    vault_fields.c.field,
                    vault_fields.c.source,
                    vault_fields.c.ciphertext,
                    vault_fields.c.observed_at,
                )
                .where(vault_fields.c.subject == subject)
                .order_by(vault_fields.c.field, vault_fields.c.observed_at)
            ).all()
        dek = self._unwrap_data_key(subject, wrapped)
        return [
            VaultRecord(
                field=field,
                source=source,
                value=_open_field(dek, blob, subject, field),
                observed_at=observed_at,
            )
            for field, source, blob, observed_at in rows
        ]


def _open_field(dek: bytes, blob: bytes, subject: str, field: str) -> str:
    """Decrypt one personal value; a failure names the subject token and field, not the value."""
    try:
        return decrypt(lambda _kid: dek, blob, _field_aad(subject, field)).decode("utf-8")
    except (PrivacyError, UnicodeDecodeError) as exc:
        raise PrivacyError(
            f"cannot decrypt field {field!r} of subject {subject}: wrong data key or tampered data"
        ) from exc
