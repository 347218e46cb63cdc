"""Who exists: the population-wide structure and each person's index-derived attributes.

A person is an index in ``[0, subjects)``. Everything another chunk may need to know about a
person (latent creditworthiness, sybil ring, join month, social membership, consents, identity
number) is a pure function of ``(seed, index)`` — see :mod:`credo.synth.draws` — so a tie can
name a counterpart in another chunk, and account for its consents, without storing anyone.

Latent creditworthiness ``z`` is assigned through a rank: ``rank = perm(index)`` and
``z = Phi^-1((rank + u) / subjects)``. People with nearby ranks have nearby ``z`` and the
inverse permutation turns a rank back into an index, which is how homophilous ties find
similar people in O(1) memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credo.events.schemas import CATEGORIES
from credo.synth.calendar import US_PER_DAY, Calendar
from credo.synth.draws import AffinePermutation, integers, norm_ppf, uniform
from credo.synth.identity import ID_SPACE, PHONE_SPACE, national_ids, phones
from credo.synth.sources import sources_emitting

__all__ = [
    "NEVER",
    "Rings",
    "Statics",
    "World",
    "birth_days",
    "identifiers",
    "national_ids_of",
    "statics",
]

NEVER = 1 << 30
"""Month index meaning "does not happen in the range" (compares greater than any month)."""

SYBIL_SHARE = 0.002
RING_SIZES = (10, 50)

# Stream constants of the counter-based draws: one per attribute, never reused.
_Z_ORDER, _Z_JITTER, _AGE, _JOIN, _JOIN_MONTH, _THIN, _THIN_LEN, _SOCIAL = range(1, 9)
_GRANT_LAG, _NO_NETWORK, _WITHDRAW, _WITHDRAW_CAT, _WITHDRAW_AT = range(9, 14)
_RESTRICT, _RESTRICT_CAT, _RESTRICT_SRC, _ID_SLOTS, _PHONE_SLOTS = range(14, 19)


@dataclass(frozen=True, slots=True)
class Rings:
    """Sybil rings: contiguous index blocks of fake accounts, spread over the index range."""

    start: NDArray[np.int64]
    size: NDArray[np.int64]
    join_month: NDArray[np.int64]
    targets: NDArray[np.int64]
    """(rings, 3) real people each ring ties to, ``-1`` where a ring has fewer."""

    @classmethod
    def place(cls, seed: int, subjects: int, months: int) -> Rings:
        """Place ~0.2 % of ``subjects`` in rings of 10-50 (one ring of 10 from 200 subjects)."""
        rng = np.random.default_rng([seed, 0x5B1])
        target = subjects * SYBIL_SHARE
        count = max(1, round(target / 30)) if subjects >= 200 else 0
        cap = max(RING_SIZES[0], min(RING_SIZES[1], int(np.ceil(2 * target / max(count, 1)))))
        size = rng.integers(RING_SIZES[0], cap + 1, size=count)
        segment = subjects // max(count, 1)
        start = np.arange(count) * segment + rng.integers(0, segment - size + 1)
        targets = np.full((count, 3), -1, dtype=np.int64)
        rings = cls(start, size, rng.integers(0, months, size=count), targets)
        for ring in range(count):
            picks = rng.integers(0, subjects, size=int(rng.integers(1, 4)))
            picks = picks[rings.ring_of(picks) < 0]
            targets[ring, : len(picks)] = picks
        return rings

    def ring_of(self, index: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return each index's ring number, or -1 for real people."""
        if len(self.start) == 0:
            return np.full(len(index), -1, dtype=np.int64)
        ring = np.searchsorted(self.start, index, side="right").astype(np.int64) - 1
        safe = np.maximum(ring, 0)
        inside = (ring >= 0) & (index < self.start[safe] + self.size[safe])
        return np.where(inside, ring, -1)

    @property
    def sybils(self) -> int:
        """Number of fake accounts."""
        return int(self.size.sum())


@dataclass(frozen=True, slots=True)
class World:
    """What every chunk shares: the parameters, the calendar and the index permutations."""

    seed: int
    subjects: int
    calendar: Calendar
    z_order: AffinePermutation
    id_slots: AffinePermutation
    phone_slots: AffinePermutation
    rings: Rings

    @classmethod
    def create(cls, seed: int, subjects: int, calendar: Calendar) -> World:
        """Derive the population structure from its parameters (cheap, no per-person state)."""
        return cls(
            seed=seed,
            subjects=subjects,
            calendar=calendar,
            z_order=AffinePermutation(subjects, seed, _Z_ORDER),
            id_slots=AffinePermutation(ID_SPACE, seed, _ID_SLOTS),
            phone_slots=AffinePermutation(PHONE_SPACE, seed, _PHONE_SLOTS),
            rings=Rings.place(seed, subjects, calendar.months),
        )


@dataclass(frozen=True, slots=True)
class Statics:
    """Index-derived attributes of a set of people (all arrays aligned with ``index``)."""

    index: NDArray[np.int64]
    rank: NDArray[np.int64]
    z: NDArray[np.float64]
    ring: NDArray[np.int64]
    join: NDArray[np.int64]
    thin: NDArray[np.bool_]
    active_end: NDArray[np.int64]
    social: NDArray[np.bool_]
    grant_us: NDArray[np.int64]
    no_network: NDArray[np.bool_]
    withdraw_cat: NDArray[np.int64]
    withdraw_us: NDArray[np.int64]
    restrict_cat: NDArray[np.int64]
    restrict_source: NDArray[np.int64]

    @property
    def sybil(self) -> NDArray[np.bool_]:
        """Whether each person is a fake account."""
        return self.ring >= 0


def _draw(world: World, index: NDArray[np.int64], stream: int) -> NDArray[np.float64]:
    return uniform(world.seed, index, stream)


def _membership(world: World, index: NDArray[np.int64], ring: NDArray[np.int64]) -> dict[str, Any]:
    """Join month, thin file, last active month and social membership."""
    months = world.calendar.months
    sybil = ring >= 0
    late = _draw(world, index, _JOIN) >= 0.6
    join = np.where(late, 1 + integers(world.seed, index, _JOIN_MONTH, max(months - 1, 1)), 0)
    # Index -1 (real people) picks the appended placeholder, so this works with no rings too.
    ring_join = np.append(world.rings.join_month, 0)[ring]
    join = np.where(sybil, ring_join, np.minimum(join, months - 1))
    thin = ~sybil & (_draw(world, index, _THIN) < 0.10)
    span = integers(world.seed, index, _THIN_LEN, 4)
    active_end = np.where(thin, np.minimum(join + span, months - 1), months - 1)
    social = sybil | (_draw(world, index, _SOCIAL) < np.where(thin, 0.3, 0.68))
    return {"join": join, "thin": thin, "active_end": active_end, "social": social}


def _consents(
    world: World, index: NDArray[np.int64], join: NDArray[np.int64], real: Any
) -> dict[str, Any]:
    """Consent profile: grant time and the rare exceptions (no network, withdrawal, one source)."""
    cal = world.calendar
    join_us = cal.start_us[join]
    grant_us = join_us - (_draw(world, index, _GRANT_LAG) * 20 * US_PER_DAY).astype(np.int64)
    withdraws = real & (_draw(world, index, _WITHDRAW) < 0.01)
    withdraw_us = join_us + (_draw(world, index, _WITHDRAW_AT) * (cal.end_us - join_us)).astype(
        np.int64
    )
    restricts = real & (_draw(world, index, _RESTRICT) < 0.01)
    restrict_cat = integers(world.seed, index, _RESTRICT_CAT, len(CATEGORIES))
    # 60 slots split evenly among the 1-5 sources that can receive a category.
    options = [sources_emitting(category) for category in CATEGORIES]
    table = np.array([[opts[i % len(opts)] for i in range(60)] for opts in options], np.int64)
    restrict_source = table[restrict_cat, integers(world.seed, index, _RESTRICT_SRC, 60)]
    return {
        "grant_us": grant_us,
        "no_network": real & (_draw(world, index, _NO_NETWORK) < 0.02),
        "withdraw_cat": np.where(
            withdraws, integers(world.seed, index, _WITHDRAW_CAT, len(CATEGORIES)), -1
        ),
        "withdraw_us": withdraw_us,
        "restrict_cat": np.where(restricts, restrict_cat, -1),
        "restrict_source": np.where(restricts, restrict_source, -1),
    }


def statics(world: World, index: NDArray[np.int64]) -> Statics:
    """Return the index-derived attributes of ``index`` (any indices, in any chunk)."""
    index = np.asarray(index, dtype=np.int64)
    rank = world.z_order.forward(index)
    z = norm_ppf((rank + _draw(world, index, _Z_JITTER)) / world.subjects)
    ring = world.rings.ring_of(index)
    member = _membership(world, index, ring)
    consent = _consents(world, index, member["join"], ring < 0)
    return Statics(index=index, rank=rank, z=z, ring=ring, **member, **consent)


def birth_days(world: World, index: NDArray[np.int64], z: NDArray[np.float64]) -> NDArray[np.int64]:
    """Return birth dates (days since 1970-01-01): adults 18-80, mildly older for higher ``z``."""
    age = 18.0 + 55.0 * _draw(world, index, _AGE) ** 1.6 + 2.5 * z
    age = np.clip(age, 18.2, 80.0)
    return np.asarray(world.calendar.start_day[-1] - (age * 365.25).astype(np.int64), np.int64)


def national_ids_of(world: World, index: NDArray[np.int64], z: NDArray[np.float64]) -> Any:
    """Return the national ids (Arrow strings) of ``index``, whose latent scores are ``z``."""
    return national_ids(world.id_slots.forward(index), birth_days(world, index, z))


def identifiers(world: World, index: NDArray[np.int64], z: NDArray[np.float64]) -> tuple[Any, Any]:
    """Return the (national id, mobile number) Arrow string arrays of ``index``."""
    return national_ids_of(world, index, z), phones(world.phone_slots.forward(index))
