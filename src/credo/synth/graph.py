"""The social graph: homophilous ties between real people, and sybil rings.

A real person declares a heavy-tailed number of ties (at most :data:`MAX_DECLARED`). Most
counterparts sit at a nearby z-rank (``people.py`` makes ``z`` a function of a rank that the
inverse permutation maps back to an index), so people mostly know people of similar
creditworthiness; the rest are drawn from the whole population. A counterpart who uses the
social app confirms the tie from their side with a probability that depends on the relation;
a few ties are removed later. Counterparts may live in any chunk: their national id, join month
and consents are recomputed from their index.

Sybil rings are blocks of fake accounts that declare unverified ties to each other and to one
to three real people they aim to boost; those people sometimes declare the tie back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from credo.synth.calendar import US_PER_DAY
from credo.synth.cohort import Cohort
from credo.synth.people import national_ids_of, statics
from credo.synth.records import RecordBuffer, categorical

__all__ = ["MAX_DECLARED", "emit_ties"]

MAX_DECLARED = 35
"""Most ties one person declares (reciprocal ties from others come on top, rarely past 50)."""

_RELATIONS = ("friend", "family", "colleague", "counterparty")
_RELATION_P = (0.55, 0.15, 0.25, 0.05)
_VERIFIED_P = np.array([0.5, 0.8, 0.6, 0.3])
_RECIPROCAL_P = np.array([0.6, 0.8, 0.5, 0.2])
_HOMOPHILY_SD = 0.25
"""Standard deviation of the rank distance to a counterpart, as a share of the population."""
_RANDOM_SHARE = 0.3
_REMOVE_SHARE = 0.03


def _reflect(rank: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    rank = np.abs(rank)
    rank = np.where(rank >= n, 2 * (n - 1) - rank, rank)
    return np.clip(rank, 0, n - 1)


def _counterparts(
    cohort: Cohort, owner: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    n = cohort.world.subjects
    offset = np.round(rng.normal(0.0, _HOMOPHILY_SD * n, len(owner))).astype(np.int64)
    near = _reflect(cohort.st.rank[owner] + np.where(offset == 0, 1, offset), n)
    rank = np.where(rng.random(len(owner)) < _RANDOM_SHARE, rng.integers(0, n, len(owner)), near)
    return cohort.world.z_order.inverse(rank)


def _declare(
    buf: RecordBuffer,
    cohort: Cohort,
    rng: np.random.Generator,
    *,
    owner: NDArray[np.int64],
    other: NDArray[np.int64],
    at: NDArray[np.int64],
    relation: NDArray[np.int64],
    verified: NDArray[np.bool_],
    reciprocal: NDArray[np.float64],
) -> None:
    """Add ties ``owner -> other``, confirmations ``other -> owner`` and a few removals."""
    cal = cohort.world.calendar
    st = statics(cohort.world, other)
    other_id = national_ids_of(cohort.world, other, st.z)
    tie = {"relation": categorical(_RELATIONS, relation), "verified": pa.array(verified)}
    buf.add("tie", owner, at, counterpart=other_id, action="add", **tie)
    lag = (rng.uniform(0.0, 10.0, len(owner)) * US_PER_DAY).astype(np.int64)
    back_at = np.maximum(
        at + lag, cal.start_us[st.join] + (rng.random(len(owner)) * 5 * US_PER_DAY).astype(np.int64)
    )
    back = (
        st.social
        & (rng.random(len(owner)) < reciprocal)
        & (back_at < cal.start_us[st.active_end + 1])
    )
    rows = pa.array(np.flatnonzero(back))
    buf.add(
        "tie",
        owner[back],
        back_at[back],
        subject=other_id.take(rows),
        subject_index=other[back],
        counterpart=cohort.national_id.take(pa.array(owner[back])),
        action="add",
        relation=tie["relation"].take(rows),
        verified=tie["verified"].take(rows),
    )
    _remove_some(buf, cohort, rng, owner=owner, at=at, other_id=other_id, tie=tie)


def _remove_some(
    buf: RecordBuffer,
    cohort: Cohort,
    rng: np.random.Generator,
    *,
    owner: NDArray[np.int64],
    at: NDArray[np.int64],
    other_id: Any,
    tie: dict[str, Any],
) -> None:
    """End a few of the ties just declared, at a random later time."""
    end_us = cohort.world.calendar.end_us
    gone = rng.random(len(owner)) < _REMOVE_SHARE
    gone_at = at + (rng.random(len(owner)) * (end_us - at)).astype(np.int64)
    rows = pa.array(np.flatnonzero(gone))
    buf.add(
        "tie",
        owner[gone],
        gone_at[gone],
        counterpart=other_id.take(rows),
        action="remove",
        relation=tie["relation"].take(rows),
        verified=tie["verified"].take(rows),
    )


def _real_ties(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    st = cohort.st
    people = np.flatnonzero(cohort.member["social"] & cohort.real)
    degree = np.floor(np.exp(rng.normal(1.1, 0.9, len(people)))).astype(np.int64)
    degree = np.minimum(degree, np.where(st.thin[people], 2, MAX_DECLARED))
    owner = np.repeat(people, degree).astype(np.int64)
    other = _counterparts(cohort, owner, rng)
    _, first = np.unique(owner * cohort.world.subjects + other, return_index=True)
    first = np.sort(first)
    owner, other = owner[first], other[first]
    keep = (other != st.index[owner]) & (cohort.world.rings.ring_of(other) < 0)
    owner, other = owner[keep], other[keep]
    since, end = cohort.since["social"][owner], st.active_end[owner]
    later = since + (rng.random(len(owner)) * (end - since + 1)).astype(np.int64)
    month = np.where(rng.random(len(owner)) < 0.4, since, later)
    relation = rng.choice(len(_RELATIONS), size=len(owner), p=_RELATION_P)
    verified = rng.random(len(owner)) < _VERIFIED_P[relation]
    at = cohort.world.calendar.within(rng, month)
    _declare(
        buf,
        cohort,
        rng,
        owner=owner,
        other=other,
        at=at,
        relation=relation,
        verified=verified,
        reciprocal=_RECIPROCAL_P[relation],
    )


def _sybil_ties(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    rings, months = cohort.world.rings, cohort.months
    sybils = np.flatnonzero(~cohort.real).astype(np.int64)
    ring = cohort.st.ring[sybils]
    size, start = rings.size[ring], rings.start[ring]
    count = np.minimum(size - 1, rng.integers(5, 16, len(sybils)))
    owner = np.repeat(sybils, count)
    ring_size = np.repeat(size, count)
    # Consecutive offsets from a random one: distinct ring members, never the sybil itself.
    first = np.repeat(rng.integers(0, size - 1), count)
    j = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    step = 1 + (first + j) % (ring_size - 1)
    pos = cohort.st.index[owner] - np.repeat(start, count)
    other = np.repeat(start, count) + (pos + step) % ring_size
    targets = rings.targets[cohort.st.ring[sybils]]
    aims = (targets >= 0) & (rng.random(targets.shape) < 0.8)
    owner = np.concatenate([owner, np.repeat(sybils, aims.sum(axis=1))])
    other = np.concatenate([other, targets[aims]])
    month = np.minimum(cohort.st.join[owner] + rng.integers(0, 3, len(owner)), months - 1)
    at = cohort.world.calendar.within(rng, month)
    relation = np.where(rng.random(len(owner)) < 0.8, 0, 2)
    # Only the boosted real person may confirm; sybils' mutual ties are already two-sided.
    reciprocal = np.where(cohort.world.rings.ring_of(other) < 0, 0.3, 0.0)
    _declare(
        buf,
        cohort,
        rng,
        owner=owner,
        other=other,
        at=at,
        relation=relation,
        verified=np.zeros(len(owner), np.bool_),
        reciprocal=reciprocal,
    )


def emit_ties(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """Add the chunk's ``tie`` events (real people's and sybils')."""
    _real_ties(buf, cohort, rng)
    _sybil_ties(buf, cohort, rng)
