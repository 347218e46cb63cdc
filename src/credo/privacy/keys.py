"""Master keys: the :class:`KeyProvider` seam, a local key-file provider and a static one.

A master key encrypts (wraps) other keys only: each person's data key in the identity vault and
the tokenisation secret. Rotating the master key therefore re-wraps small keys and never touches
the lake. A cloud KMS implements the same :class:`KeyProvider` protocol.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from credo.errors import PrivacyError
from credo.settings import DEV_MASTER_KEY, Settings

__all__ = [
    "DEV_KEY_ID",
    "KeyProvider",
    "LocalKeyProvider",
    "MasterKey",
    "StaticKeyProvider",
    "create_local_key",
    "key_provider",
]

KEY_BYTES = 32
DEV_KEY_ID = "dev"
_ACTIVE = "active"


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
        """Return the key that encrypts new values."""
        ...

    def get(self, key_id: str) -> bytes:
        """Return the material of ``key_id``; ``KeyError`` when unknown."""
        ...


def _decode(text: str, where: str) -> bytes:
    try:
        material = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PrivacyError(f"{where}: master key is not valid base64") from exc
    if len(material) != KEY_BYTES:
        raise PrivacyError(f"{where}: master key must be {KEY_BYTES} bytes, got {len(material)}")
    return material


class StaticKeyProvider:
    """One master key given as base64 (``CREDO_MASTER_KEY``)."""

    def __init__(self, encoded: str) -> None:
        material = _decode(encoded, "CREDO_MASTER_KEY")
        key_id = (
            DEV_KEY_ID
            if encoded.strip() == DEV_MASTER_KEY
            else "env-" + hashlib.sha256(material).hexdigest()[:12]
        )
        self._key = MasterKey(key_id, material)

    def active(self) -> MasterKey:
        """Return the one key."""
        return self._key

    def get(self, key_id: str) -> bytes:
        """Return the key's material when ``key_id`` is its id."""
        if key_id != self._key.key_id:
            raise KeyError(key_id)
        return self._key.material


class LocalKeyProvider:
    """Key files under a folder: ``<key_id>.key`` (base64, mode 0600) and ``active``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def active(self) -> MasterKey:
        """Return the key named in the ``active`` file."""
        try:
            key_id = (self.folder / _ACTIVE).read_text(encoding="ascii").strip()
        except FileNotFoundError as exc:
            raise PrivacyError(f"no master key in {self.folder}; run `credo init` first") from exc
        return MasterKey(key_id, self.get(key_id))

    def get(self, key_id: str) -> bytes:
        """Read ``<key_id>.key``."""
        path = self.folder / f"{key_id}.key"
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError as exc:
            raise KeyError(key_id) from exc
        return _decode(text, str(path))

    def key_ids(self) -> list[str]:
        """Return the ids of every key file."""
        return sorted(p.stem for p in self.folder.glob("*.key"))


def create_local_key(
    folder: Path, *, material: bytes | None = None, key_id: str | None = None
) -> MasterKey:
    """Create a new key file (mode 0600, never overwritten) and make it the active key."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    material = material if material is not None else secrets.token_bytes(KEY_BYTES)
    key_id = key_id or "k-" + secrets.token_hex(6)
    path = folder / f"{key_id}.key"
    # O_EXCL: an existing key is never overwritten, that would make its ciphertexts unreadable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(material).decode("ascii") + "\n")
    active = folder / f".{_ACTIVE}.tmp"
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
