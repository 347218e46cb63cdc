"""A chunk of people: index-derived attributes plus everything drawn from the chunk's generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credo.synth.identity import digits
from credo.synth.people import NEVER, Statics, World, identifiers, statics

__all__ = ["Cohort", "build_cohort", "sigmoid"]

# (logit intercept, slope on z) of being a customer of each source, for real people with a
# full file; the social network's membership is index-derived (see people.py).
_MEMBERSHIP = {
    "bank": (2.0, 0.4),
    "card_issuer": (0.1, 0.9),
    "ecommerce": (1.6, 0.1),
    "utility": (0.45, 0.2),
    "telecom": (2.1, 0.1),
    "rental": (-1.5, 0.0),
    "quickloan": (-2.2, -0.8),
}
_THIN_SOURCES = ("ecommerce", "telecom", "utility")


def sigmoid(x: Any) -> NDArray[np.float64]:
    """Return the logistic function of ``x``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


@dataclass(slots=True)
class Cohort:
    """The people of one chunk, ``index = start .. start + n - 1``.

    ``member[source]`` says who is a customer of a source and ``since[source]`` the month they
    became one; ``shock`` marks (person, month) cells of an income shock (job loss);
    ``default_month`` is filled in by :func:`credo.synth.risk.simulate_defaults`.
    """

    world: World
    st: Statics
    national_id: Any
    phone: Any
    id_text: Any
    income: NDArray[np.float64]
    frailty: NDArray[np.float64]
    shock: NDArray[np.bool_]
    member: dict[str, NDArray[np.bool_]]
    since: dict[str, NDArray[np.int64]]
    utilisation: NDArray[np.float64]
    default_month: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n(self) -> int:
        """Number of people in the chunk."""
        return len(self.st.index)

    @property
    def months(self) -> int:
        """Number of generated months."""
        return self.world.calendar.months

    @property
    def real(self) -> NDArray[np.bool_]:
        """Whether each person is real (not a sybil)."""
        return self.st.ring < 0

    def active(self, source: str) -> NDArray[np.bool_]:
        """Return the (person, month) cells in which a person is a live customer of ``source``."""
        month = np.arange(self.months)
        since = self.since[source][:, None]
        return (
            self.member[source][:, None] & (month >= since) & (month <= self.st.active_end[:, None])
        )

    def month_cells(self, source: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Return the (person, month) pairs of :meth:`active`, person-major."""
        owner, month = np.nonzero(self.active(source))
        return owner.astype(np.int64), month.astype(np.int64)


def _sources(
    st: Statics, z: NDArray[np.float64], rng: np.random.Generator
) -> tuple[dict[str, Any], dict[str, Any]]:
    n = len(z)
    real_full = (st.ring < 0) & ~st.thin
    member: dict[str, Any] = {}
    since: dict[str, Any] = {}
    thin_pick = rng.random((n, len(_THIN_SOURCES))) < 0.6
    thin_pick[:, 1] |= ~thin_pick.any(axis=1)
    for name, (intercept, slope) in _MEMBERSHIP.items():
        chance = sigmoid(intercept + slope * z)
        is_member = real_full & (rng.random(n) < chance)
        if name in _THIN_SOURCES:
            is_member |= st.thin & thin_pick[:, _THIN_SOURCES.index(name)]
        if name == "ecommerce":
            is_member |= (st.ring >= 0) & (rng.random(n) < 0.5)
        delay = np.where(rng.random(n) < 0.5, 0, rng.geometric(0.25, size=n))
        since[name] = np.where(st.ring >= 0, st.join, st.join + delay)
        member[name] = is_member & (since[name] <= st.active_end)
    member["social"] = st.social
    since["social"] = st.join
    return member, since


def _income(z: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    """Monthly income in CNY: lognormal around 8,500, correlation ~0.55 with ``z`` in logs."""
    mixed = 0.55 * z + 0.835 * rng.standard_normal(len(z))
    return np.clip(8_500.0 * np.exp(0.6 * mixed), 3_000.0, 50_000.0)


def _shocks(z: NDArray[np.float64], months: int, rng: np.random.Generator) -> NDArray[np.bool_]:
    """Income shocks: ~10 % of people lose income for 2-9 months, more often when ``z`` is low."""
    n = len(z)
    hit = rng.random(n) < 0.2 * sigmoid(-0.7 * z)
    begin = rng.integers(0, months, size=n)
    length = rng.integers(2, 10, size=n)
    month = np.arange(months)
    return hit[:, None] & (month >= begin[:, None]) & (month < (begin + length)[:, None])


def _utilisation(
    z: NDArray[np.float64],
    frailty: NDArray[np.float64],
    shock: NDArray[np.bool_],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Card utilisation per (person, month): persistent level, AR(1) drift, shock bumps."""
    n, months = shock.shape
    level = sigmoid(-0.4 - 0.9 * z + 0.4 * frailty + 0.4 * rng.standard_normal(n))
    drift = np.zeros((n, months))
    noise = rng.normal(0.0, 0.06, size=(n, months))
    for t in range(1, months):
        drift[:, t] = 0.7 * drift[:, t - 1] + noise[:, t]
    return np.clip(level[:, None] + drift + 0.2 * shock, 0.01, 1.05)


def build_cohort(world: World, start: int, n: int, rng: np.random.Generator) -> Cohort:
    """Draw the people ``start .. start + n - 1`` (everything but their events)."""
    st = statics(world, np.arange(start, start + n, dtype=np.int64))
    z = st.z
    national_id, phone = identifiers(world, st.index, z)
    member, since = _sources(st, z, rng)
    frailty = rng.normal(0.0, 0.7, size=n)
    shock = _shocks(z, world.calendar.months, rng)
    return Cohort(
        world=world,
        st=st,
        national_id=national_id,
        phone=phone,
        id_text=digits(st.index, 9),
        income=_income(z, rng),
        frailty=frailty,
        shock=shock,
        member=member,
        since=since,
        utilisation=_utilisation(z, frailty, shock, rng),
        default_month=np.full(n, NEVER, dtype=np.int64),
    )
