"""Pairwise pseudonyms: the ``open_id`` a partner knows a person by.

A partner never sees the subject token. It gets an ``open_id`` = HMAC-SHA256 of the subject token
under the vault's tokenisation secret, in a domain of its own per partner name
(:meth:`credo.privacy.tokens.Tokeniser.open_id`). So:

- the same partner always gets the same ``open_id`` for a person (the secret survives restarts);
- two partners get unrelated values and cannot link their customers by comparing them;
- an ``open_id`` reveals nothing of the subject token, and cannot be computed without the secret.

Going back from an ``open_id`` to a person is never a search over people: the ``open_id`` is
stored on the authorization when the person approves it, and looked up there.
"""

from __future__ import annotations

import re

from credo.errors import InvalidInputError
from credo.privacy.tokens import Tokeniser

__all__ = ["OPEN_ID_HEX", "open_id", "parse_open_id"]

OPEN_ID_HEX = Tokeniser.TOKEN_HEX
_FORMAT = re.compile(rf"[0-9a-f]{{{OPEN_ID_HEX}}}")


def open_id(tokeniser: Tokeniser, partner: str, subject: str) -> str:
    """The ``open_id`` partner ``partner`` (its name) knows the person ``subject`` by."""
    return tokeniser.open_id(partner, subject)


def parse_open_id(value: str) -> str:
    """``value`` if it has the form of an ``open_id`` (lowercase hex), else InvalidInputError.

    >>> parse_open_id("0" * 32)
    '00000000000000000000000000000000'
    """
    if not _FORMAT.fullmatch(value):
        raise InvalidInputError(f"an open_id is {OPEN_ID_HEX} lowercase hexadecimal characters")
    return value
