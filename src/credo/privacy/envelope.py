"""AES-GCM envelope format with the key id inside every ciphertext.

Layout: ``0x01 | len(key_id) | key_id (ASCII) | nonce (12 bytes) | ciphertext + tag``. The
associated data binds a ciphertext to its place (subject and field), so a ciphertext copied to
another row fails to decrypt instead of revealing another person's value.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from credo.errors import PrivacyError

__all__ = ["decrypt", "encrypt", "key_id_of"]

_VERSION = 1
_NONCE_BYTES = 12


def encrypt(key: bytes, key_id: str, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``key`` (32 bytes), recording ``key_id`` in the result.

    >>> blob = encrypt(bytes(32), "k1", b"secret", b"ctx")
    >>> decrypt(lambda _: bytes(32), blob, b"ctx")
    b'secret'
    """
    kid = key_id.encode("ascii")
    if not 0 < len(kid) < 256:
        raise PrivacyError(f"key id must be 1-255 ASCII bytes, got {len(kid)}")
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad)
    return bytes((_VERSION, len(kid))) + kid + nonce + sealed


def key_id_of(blob: bytes) -> str:
    """Return the id of the key that encrypted ``blob``."""
    if len(blob) < 2 or blob[0] != _VERSION:
        raise PrivacyError("ciphertext has an unknown format version")
    size = blob[1]
    if len(blob) < 2 + size + _NONCE_BYTES + 16:
        raise PrivacyError("ciphertext is truncated")
    return blob[2 : 2 + size].decode("ascii")


def decrypt(lookup: Callable[[str], bytes], blob: bytes, aad: bytes) -> bytes:
    """Decrypt ``blob``, fetching its key with ``lookup(key_id)``.

    Raises
    ------
    PrivacyError
        When the format is unknown, the key is missing or the tag does not verify (tampered
        data, wrong key or wrong associated data). Never returns an empty value instead.
    """
    kid = key_id_of(blob)
    start = 2 + len(kid)
    nonce = blob[start : start + _NONCE_BYTES]
    try:
        key = lookup(kid)
    except KeyError as exc:
        raise PrivacyError(f"no key {kid!r} to decrypt this value") from exc
    try:
        return AESGCM(key).decrypt(nonce, blob[start + _NONCE_BYTES :], aad)
    except InvalidTag as exc:
        raise PrivacyError(
            f"decryption with key {kid!r} failed: wrong key or tampered data"
        ) from exc
