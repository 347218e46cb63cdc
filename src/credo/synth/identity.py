"""Identifiers of synthetic people: resident identity numbers and mobile numbers.

Both are unique by construction: a person's index is scattered by an
:class:`~credo.synth.draws.AffinePermutation` into a slot of a code space and the slot is written
in the region and sequence digits (identity numbers) or the subscriber digits (mobile numbers).
No two indices share a slot, so no two people share an identifier, whatever their birth dates.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from credo.synth.names import MOBILE_PREFIXES, PROVINCES

__all__ = [
    "ID_SPACE",
    "PHONE_SPACE",
    "check_characters",
    "digits",
    "is_valid_national_id",
    "national_ids",
    "phones",
    "province_index",
]

_CITIES_PER_PROVINCE = 20
_DISTRICTS_PER_CITY = 30
_SEQUENCES = 1000
ID_SPACE = len(PROVINCES) * _CITIES_PER_PROVINCE * _DISTRICTS_PER_CITY * _SEQUENCES
"""Number of distinct (region, sequence) slots: the most people one population can hold."""

PHONE_SPACE = len(MOBILE_PREFIXES) * 10**8
"""Number of distinct mobile numbers."""

# ISO 7064 MOD 11-2 as GB 11643 applies it: weight 2**(17 - i) mod 11 on digit i, and the
# check character looked up from the weighted sum modulo 11.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"
_ID_FORMAT = re.compile(r"^\d{17}[\dX]$")
_PROVINCE_CODES = np.array([code for code, _ in PROVINCES], dtype=np.int64)


def digits(values: NDArray[np.int64], width: int) -> Any:
    """Return the integers as zero-padded decimal strings of ``width`` (an Arrow array)."""
    text = pc.cast(pa.array(values, type=pa.int64()), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0")


def _birth_number(birth_day: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return YYYYMMDD for days since 1970-01-01."""
    day = birth_day.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    month_no = month.astype(np.int64) % 12 + 1
    day_no = (day - month.astype("datetime64[D]")).astype(np.int64) + 1
    return np.asarray(year * 10_000 + month_no * 100 + day_no, dtype=np.int64)


def check_characters(body: NDArray[np.int64]) -> NDArray[np.str_]:
    """Return the MOD 11-2 check character of each 17-digit body."""
    total = np.zeros_like(body)
    rest = body.copy()
    for weight in reversed(_WEIGHTS):
        total += (rest % 10) * weight
        rest //= 10
    return np.array(list(_CHECK))[total % 11]


def national_ids(slot: NDArray[np.int64], birth_day: NDArray[np.int64]) -> Any:
    """Return 18-character resident identity numbers (an Arrow string array).

    Parameters
    ----------
    slot
        Distinct slots in ``[0, ID_SPACE)``; they become the region and sequence digits.
    birth_day
        Birth dates as days since 1970-01-01; they become the eight date digits.
    """
    sequence = slot % _SEQUENCES
    rest = slot // _SEQUENCES
    district = rest % _DISTRICTS_PER_CITY + 1
    rest //= _DISTRICTS_PER_CITY
    city = rest % _CITIES_PER_PROVINCE + 1
    province = _PROVINCE_CODES[rest // _CITIES_PER_PROVINCE]
    region = province * 10_000 + city * 100 + district
    body = region * 10**11 + _birth_number(birth_day) * 1000 + sequence
    text = pc.cast(pa.array(body, type=pa.int64()), pa.string())
    return pc.binary_join_element_wise(text, pa.array(check_characters(body)), "")


def province_index(slot: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return the index in :data:`~credo.synth.names.PROVINCES` of each slot's region."""
    return slot // (_SEQUENCES * _DISTRICTS_PER_CITY * _CITIES_PER_PROVINCE)


def is_valid_national_id(value: str) -> bool:
    """Return whether ``value`` is 17 digits followed by its correct MOD 11-2 check character.

    Examples
    --------
    >>> is_valid_national_id("11010519491231002X")
    True
    >>> is_valid_national_id("110105194912310021")
    False
    """
    if not _ID_FORMAT.match(value):
        return False
    total = sum(int(ch) * w for ch, w in zip(value[:17], _WEIGHTS, strict=True))
    return value[17] == _CHECK[total % 11]


def phones(slot: NDArray[np.int64]) -> Any:
    """Return mobile numbers ``+86 1xx xxxx xxxx`` for distinct slots in ``[0, PHONE_SPACE)``."""
    prefix = np.array(MOBILE_PREFIXES, dtype=np.int64)[slot // 10**8]
    rest = slot % 10**8
    return pc.binary_join_element_wise(
        "+86",
        digits(prefix, 3),
        digits(rest // 10_000, 4),
        digits(rest % 10_000, 4),
        " ",
    )
