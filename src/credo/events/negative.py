"""Negative records, declared once: which events are, and how long they count.

A **negative record** is a default, a collection, a repayment past due, a bill paid late, a
contract fulfilled late or broken, or a chargeback. Its retention period runs from when the
behaviour ended: the last negative record on the same account or contract (a default followed
by a collection a year later ends with the collection), or the record itself when it has no
account or contract. After the period of its category it no longer counts anywhere: not in the
characteristics (:func:`credo.features.asof.events_as_of`), not on the watchlist partners see
(:class:`credo.consent.watchlist.LakeWatchlist`), and ``credo rights retention`` purges it from
the lake.

The rules are data, so the engine's predicate (ibis) and the watchlist's (pyarrow) are built
from the same declaration and cannot drift apart.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any

import pyarrow.dataset as ds

__all__ = [
    "BEHAVIOUR_KEYS",
    "DEFAULT_RETENTION_DAYS",
    "NEGATIVE_RULES",
    "POSITIVE",
    "dataset_predicate",
    "retention_days_of",
]

DEFAULT_RETENTION_DAYS = 1826
"""Five years (and a leap day): how long a negative record counts after the behaviour ended,
where its category has no period of its own."""

POSITIVE = "positive"
"""A rule's condition: the field is greater than zero."""

NEGATIVE_RULES: Mapping[str, tuple[str, str | tuple[str, ...]] | None] = {
    "default": None,
    "collection": None,
    "repayment": ("days_past_due", POSITIVE),
    "bill_payment": ("days_late", POSITIVE),
    "contract_fulfilled": ("outcome", ("late", "broken")),
    "refund": ("kind", ("chargeback",)),
}
"""Event type → ``None`` (every event of the type is negative) or ``(field, condition)``:
:data:`POSITIVE`, or the values that make it negative."""

BEHAVIOUR_KEYS = ("account_ref", "contract_ref")
"""The fields naming the account or contract a behaviour is about, first present wins; a record
with neither is its own behaviour (keyed by its event id)."""


def retention_days_of(category: str, retention: Mapping[str, int] | None) -> int:
    """Days a negative record of ``category`` counts after the behaviour ended."""
    return int((retention or {}).get(category, DEFAULT_RETENTION_DAYS))


def dataset_predicate() -> ds.Expression:
    """Whether a lake row is a negative record, as a pyarrow dataset expression."""
    parts: list[Any] = []
    for event_type, rule in NEGATIVE_RULES.items():
        is_type = ds.field("type") == event_type
        if rule is None:
            parts.append(is_type)
            continue
        name, condition = rule
        value = ds.field(name)
        # a null field is not negative: valid & … is false (not null) where it is null
        matched = value > 0 if condition == POSITIVE else value.isin(list(condition))
        parts.append(is_type & value.is_valid() & matched)
    predicate: ds.Expression = reduce(operator.or_, parts)
    return predicate
