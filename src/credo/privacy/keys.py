"""Master keys: the :class:`KeyProvider` seam, a local key-file provider and a static one.

A master key encrypts (wraps) other keys only: each person's data key in the identity vault and
the tokenisation secret. Rotating the master key therefore re-wraps small keys and never touches
the lake or the encrypted personal values (see :mod:`credo.privacy.rotation`).

Every wrapped key records the id of the master key that wrapped it, so reads never depend on
which key is active: a provider must keep answering :meth:`KeyProvider.get` for every key id that
still wraps something, and only the active key wraps new values.

What a cloud KMS implementation provides
----------------------------------------
A KMS provider implements :class:`KeyProvider`:

- ``active()``: the id and material of the key version that wraps new values. With a KMS the
  material is a 256-bit key stored encrypted by a KMS key (its "key encryption key") and
  decrypted with one KMS ``Decrypt`` call on first use, then held in memory only;
- ``get(key_id)``: the material of any version not yet destroyed, ``KeyError`` otherwise (a
  destroyed or unknown version fails closed: the vault raises :class:`~credo.errors.PrivacyError`);
- ``key_ids()``: every version it can still read.

To be rotated by ``credo keys rotate`` and ``credo keys retire`` it also implements
:class:`RotatingKeyProvider`: ``create()`` makes a new version and makes it active (a KMS
``GenerateDataKey`` plus storing the encrypted result), ``retire(key_id)`` destroys a version
that no longer wraps anything. A provider without those two (like :class:`StaticKeyProvider`,
whose keys live in the environment) is rotated by its operator instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from credo.errors import ConflictError, NotFoundError, PrivacyError
from credo.settings import DEV_MASTER_KEY, Settings

__all__ = [
    "DEV_KEY_ID",
    "KeyProvider",
    "LocalKeyProvider",
    "MasterKey",
    "RotatingKeyProvider",
    "StaticKeyProvider",
    "create_local_key",
    "is_valid_key_id",
    "key_provider",
]

KEY_BYTES = 32
DEV_KEY_ID = "dev"
_ACTIVE = "active"
# A key id names a file: letters, digits, '-' and '_' only, so an id read from a (possibly
# tampered) ciphertext can never point outside the key folder.
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A master key and its id."""

    key_id: str
    material: bytes = b""

    def __repr__(self) -> str:  # keeps key material out of logs and tracebacks
        return f"MasterKey(key_id={self.key_id!r})"


class KeyProvider(Protocol):
    """Where master keys come from (a key file, an environment variable, a KMS)."""

    def active(self) -> MasterKey:
        """Return the key that wraps new values."""
        ...

    def get(self, key_id: str) -> bytes:
        """Return the material of ``key_id``; ``KeyError`` when unknown or destroyed."""
        ...

    def key_ids(self) -> list[str]:
        """Return the ids of every key this provider can still read, sorted."""
        ...


@runtime_checkable
class RotatingKeyProvider(KeyProvider, Protocol):
    """A provider that can make new keys and destroy old ones (what rotation needs)."""

    def create(self) -> MasterKey:
        """Create a new key and make it the active one; return it."""
        ...

    def retire(self, key_id: str) -> None:
        """Destroy ``key_id`` for good; never the active key.

        The caller checks that nothing is wrapped by the key any more: a provider cannot see
        the store.
        """
        ...


def is_valid_key_id(key_id: str) -> bool:
    """Tell whether ``key_id`` is a well-formed key id (1-64 of ``A-Z a-z 0-9 - _``).

    >>> is_valid_key_id("k-3f2a"), is_valid_key_id("../etc/passwd")
    (True, False)
    """
    return _KEY_ID.fullmatch(key_id) is not None


def _decode(text: str, where: str) -> bytes:
    try:
        material = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PrivacyError(f"{where}: master key is not valid base64") from exc
    if len(material) != KEY_BYTES:
        raise PrivacyError(f"{where}: master key must be {KEY_BYTES} bytes, got {len(material)}")
    return material


class StaticKeyProvider:
    """Master keys given as base64 in ``CREDO_MASTER_KEY``: ``NEW[,OLD…]``.

    The first key wraps new values; the others stay readable so that a rotation done by the
    operator (put a new key first, keep the old one after it, run ``credo keys rotate``, then
    drop the old one) never leaves a value unreadable. Key ids are derived from the material.
    """

    def __init__(self, encoded: str) -> None:
        parts = [part.strip() for part in encoded.split(",")]
        if not all(parts):
            raise PrivacyError("CREDO_MASTER_KEY: empty key in the comma-separated list")
        self._keys: dict[str, bytes] = {}
        for position, part in enumerate(parts, start=1):
            where = "CREDO_MASTER_KEY" if len(parts) == 1 else f"CREDO_MASTER_KEY (key {position})"
            material = _decode(part, where)
            key_id = (
                DEV_KEY_ID
                if part == DEV_MASTER_KEY
                else "env-" + hashlib.sha256(material).hexdigest()[:12]
            )
            self._keys.setdefault(key_id, material)
        first = next(iter(self._keys))
        self._active = MasterKey(first, self._keys[first])

    def active(self) -> MasterKey:
        """Return the first key of the list."""
        return self._active

    def get(self, key_id: str) -> bytes:
        """Return the material of ``key_id`` when it is in the list."""
        return self._keys[key_id]

    def key_ids(self) -> list[str]:
        """Return the ids of the listed keys."""
        return sorted(self._keys)


class LocalKeyProvider:
    """Key files under a folder: ``<key_id>.key`` (base64, mode 0600) and ``active``.

    The default provider, and the one that rotates by itself (:class:`RotatingKeyProvider`).
    Files are read on every call, so a long-running process sees a rotation at once.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def active(self) -> MasterKey:
        """Return the key named in the ``active`` file."""
        try:
            key_id = (self.folder / _ACTIVE).read_text(encoding="ascii").strip()
        except FileNotFoundError as exc:
            raise PrivacyError(f"no master key in {self.folder}; run `credo init` first") from exc
        try:
            return MasterKey(key_id, self.get(key_id))
        except KeyError as exc:
            raise PrivacyError(
                f"the active master key {key_id!r} has no key file in {self.folder}"
            ) from exc

    def get(self, key_id: str) -> bytes:
        """Read ``<key_id>.key``."""
        if not is_valid_key_id(key_id):
            raise KeyError(key_id)
        path = self.folder / f"{key_id}.key"
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError as exc:
            raise KeyError(key_id) from exc
        return _decode(text, str(path))

    def key_ids(self) -> list[str]:
        """Return the ids of every key file."""
        return sorted(p.stem for p in self.folder.glob("*.key"))

    def create(self) -> MasterKey:
        """Create a new random key file and make it active."""
        return create_local_key(self.folder)

    def retire(self, key_id: str) -> None:
        """Delete ``<key_id>.key``; refuses the active key and unknown ids."""
        if key_id == self.active().key_id:
            raise ConflictError(f"key {key_id!r} is the active master key and cannot be retired")
        if key_id not in self.key_ids():
            raise NotFoundError(f"no master key {key_id!r} in {self.folder}")
        (self.folder / f"{key_id}.key").unlink()


def create_local_key(
    folder: Path, *, material: bytes | None = None, key_id: str | None = None
) -> MasterKey:
    """Create a new key file (mode 0600, never overwritten) and make it the active key."""
    key_id = key_id or "k-" + secrets.token_hex(6)
    if not is_valid_key_id(key_id):
        raise PrivacyError(f"key id must be 1-64 of A-Z a-z 0-9 - _, got {key_id!r}")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    material = material if material is not None else secrets.token_bytes(KEY_BYTES)
    path = folder / f"{key_id}.key"
    # O_EXCL: an existing key is never overwritten, that would make its ciphertexts unreadable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(material).decode("ascii") + "\n")
    # The key file is complete before the pointer moves (rename is atomic): a reader never
    # sees an active key without its material.
    active = folder / f".{_ACTIVE}.{key_id}.tmp"  # one per key: concurrent rotations never mix
    active.write_text(key_id + "\n", encoding="ascii")
    os.replace(active, folder / _ACTIVE)
    return MasterKey(key_id, material)


def key_provider(settings: Settings) -> KeyProvider:
    """Return the provider the settings name, refusing the development key in production."""
    provider: KeyProvider
    if settings.master_key is not None:
        provider = StaticKeyProvider(settings.master_key.get_secret_value())
    else:
        provider = LocalKeyProvider(settings.keys_path)
    if settings.env == "production" and provider.active().key_id == DEV_KEY_ID:
        raise PrivacyError("the development master key cannot be used when CREDO_ENV=production")
    return provider
