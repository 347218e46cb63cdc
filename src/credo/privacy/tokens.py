"""Subject tokens, reference hashes and field fingerprints: keyed HMAC-SHA256.

The lake and everything downstream of ingest see a person only as a token; the same identifier
gives the same token (so events join), and without the secret a token cannot be reversed or
recomputed from a guessed identifier.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from credo.errors import InvalidInputError

__all__ = ["Tokeniser", "normalise_identifier", "normalise_text"]

_SEPARATORS = re.compile(r"[\s\-.()/]")
_PHONE = re.compile(r"\+\d{6,15}")
_ID = re.compile(r"[0-9A-Z]{3,64}")
_SPACES = re.compile(r"\s+")


def normalise_identifier(raw: str) -> str:
    """Canonical form of a person identifier: ``tel:+…`` for phones, ``id:…`` otherwise.

    >>> normalise_identifier(" +86 138-0013-8000 ")
    'tel:+8613800138000'
    >>> normalise_identifier("11010119900307421x")
    'id:11010119900307421X'
    """
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if _PHONE.fullmatch(compact):
        return "tel:" + compact
    if _ID.fullmatch(compact):
        return "id:" + compact
    raise InvalidInputError("identifier is neither a phone (+digits) nor an alphanumeric id")


def normalise_text(value: str) -> str:
    """Case- and space-insensitive form of a personal field, for fingerprints."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()


class Tokeniser:
    """Keyed hashes with domain separation: subjects, source references, field fingerprints."""

    TOKEN_HEX = 32  # 128 bits: collisions are negligible even at billions of subjects
    MEMO_LIMIT = 2_000_000  # values remembered across batches (people recur every month)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise InvalidInputError("tokenisation secret must be at least 32 bytes")
        self._secret = secret
        self._keyed: dict[bytes, Any] = {}
        self._memo: dict[tuple[str, tuple[str, ...]], dict[str, str | None]] = {}
        self._memo_size = 0

    def _mac(self, domain: bytes, value: str, size: int) -> str:
        # copying a keyed state skips re-deriving the HMAC pads for every value
        base = self._keyed.get(domain)
        if base is None:
            base = hmac.new(self._secret, domain + b"\x00", hashlib.sha256)
            self._keyed[domain] = base
        digest = base.copy()
        digest.update(value.encode("utf-8"))
        return str(digest.hexdigest()[:size])

    def subject(self, identifier: str) -> str:
        """Token of a person identifier (national id or phone)."""
        return self._mac(b"subject", normalise_identifier(identifier), self.TOKEN_HEX)

    def ref(self, source: str, reference: str) -> str:
        """Hash of a source's own reference (account, contract), distinct per source."""
        return self._mac(b"ref:" + source.encode("utf-8"), reference.strip(), 24)

    def fingerprint(self, field: str, value: str) -> str:
        """Fingerprint of a personal field's value, for cross-source agreement checks."""
        return self._mac(b"fp:" + field.encode("utf-8"), normalise_text(value), 24)

    def open_id(self, partner: str, subject: str) -> str:
        """A partner's pseudonym of the person with token ``subject``.

        Keyed by the partner's name under its own domain, so two partners get unrelated values
        for the same person, and neither can recover the subject token or link their records.
        """
        return self._mac(b"open_id:" + partner.encode("utf-8"), subject, self.TOKEN_HEX)

    def map_array(self, values: pa.Array, func: str, *args: str) -> tuple[pa.Array, pa.Array]:
        """Apply ``func`` (``subject``/``ref``/``fingerprint``) to each distinct value of a column.

        Returns the mapped column and a boolean mask of values that could not be mapped (bad
        identifiers); nulls stay null. Hashing only the distinct values matters: a month of
        events carries each person many times.
        """
        encoded = pc.dictionary_encode(values)
        dictionary = encoded.dictionary.to_pylist()
        method = getattr(self, func)
        memo = self._memo.setdefault((func, args), {})
        mapped: list[str | None] = []
        bad: list[bool] = []
        for value in dictionary:
            token = memo.get(value, "")
            if token == "":
                try:
                    token = method(*args, value)
                except InvalidInputError:
                    token = None
                memo[value] = token
                self._memo_size += 1
            mapped.append(token)
            bad.append(token is None)
        if self._memo_size > self.MEMO_LIMIT:  # bounded memory on very large ingests
            self._memo.clear()
            self._memo_size = 0
        indices = encoded.indices
        out = pc.take(pa.array(mapped, pa.string()), indices)
        bad_mask = pc.fill_null(pc.take(pa.array(bad, pa.bool_()), indices), False)
        return out, bad_mask
