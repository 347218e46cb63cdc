"""The identity vault: personal data, encrypted field by field with a per-person data key.

Each person (subject token) has a random 256-bit data key, stored only wrapped by the master key.
Each personal value is AES-GCM encrypted with that data key and bound to (subject, field) by the
associated data. Destroying a person's wrapped key makes every copy of their values unreadable,
backups included; rotating the master key re-wraps data keys without touching the values.
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
from credo.privacy.keys import KeyProvider
from credo.storage.db import insert_ignore
from credo.storage.tables import secrets as secrets_table
from credo.storage.tables import vault_fields, vault_subjects

__all__ = ["IdentityVault", "PersonalValue", "VaultRecord"]

_TOKEN_SECRET = "token"  # noqa: S105 - the name of a row, not a secret
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


def _dek_aad(subject: str) -> bytes:
    return b"dek|" + subject.encode("ascii")


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
        master = self._keys.active()
        blob = encrypt(master.material, master.key_id, secrets.token_bytes(32), b"secret|token")
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(secrets_table.c.name).where(secrets_table.c.name == _TOKEN_SECRET)
            ).first()
            if exists:
                return False
            conn.execute(
                secrets_table.insert(),
                {"name": _TOKEN_SECRET, "ciphertext": blob, "created_at": self._clock.now()},
            )
        return True

    def token_secret(self) -> bytes:
        """The secret of subject tokens (fails closed when missing or undecryptable)."""
        with self._engine.connect() as conn:
            blob = conn.execute(
                select(secrets_table.c.ciphertext).where(secrets_table.c.name == _TOKEN_SECRET)
            ).scalar()
        if blob is None:
            raise PrivacyError("no tokenisation secret in the store; run `credo init` first")
        return decrypt(self._keys.get, blob, b"secret|token")

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
                    found[subject] = decrypt(self._keys.get, wrapped, _dek_aad(subject))
        new = [s for s in wanted if s not in found]
        if new:
            master = self._keys.active()
            now = self._clock.now()
            rows = []
            for subject in new:
                dek = secrets.token_bytes(32)
                found[subject] = dek
                wrapped = encrypt(master.material, master.key_id, dek, _dek_aad(subject))
                rows.append({"subject": subject, "wrapped_key": wrapped, "created_at": now})
            with self._engine.begin() as conn:
                insert_ignore(conn, vault_subjects, rows)
        self._deks.update(found)
        return {s: self._deks[s] for s in subjects}, set(new)

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
        dek = decrypt(self._keys.get, wrapped, _dek_aad(subject))
        return [
            VaultRecord(
                field=field,
                source=source,
                value=decrypt(lambda _kid: dek, blob, _field_aad(subject, field)).decode("utf-8"),
                observed_at=observed_at,
            )
            for field, source, blob, observed_at in rows
        ]
