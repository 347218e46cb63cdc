"""Personal details as sources hold them (``profile_update``) and identity verifications.

Each person has one true profile. Sources record it when the person joins them and only some
sources hear about a later move, so a share of people have an older address at one source;
~3 % have a misspelt name at one source. Those disagreements are what a cross-source agreement
characteristic measures. Fields are missing more often for people with low ``z``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from credo.synth.cohort import Cohort, sigmoid
from credo.synth.identity import province_index
from credo.synth.names import (
    BIG_CITIES,
    EMAIL_DOMAINS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    PROVINCES,
    STREETS,
)
from credo.synth.people import NEVER, birth_days
from credo.synth.records import RecordBuffer, categorical

__all__ = ["PROFILE_SOURCES", "Profiles", "build_profiles", "emit_identity", "emit_profiles"]

PROFILE_SOURCES = ("bank", "telecom", "ecommerce", "social")
_FIELDS = {
    "bank": ("name", "national_id", "phone", "address", "address_since", "education", "occupation"),
    "telecom": ("name", "national_id", "phone", "phone_since", "address"),
    "ecommerce": ("name", "phone", "email", "address"),
    "social": ("name", "email", "phone", "occupation"),
}
_SYBIL_FIELDS = ("name", "phone", "email")
_MISSING = {"education": 0.25, "occupation": 0.15, "email": 0.2, "phone": 0.1, "address": 0.15}
_HEARS_OF_MOVE = {"bank": 0.7, "telecom": 0.4, "ecommerce": 0.6, "social": 0.3}
_EDUCATION = ("none", "secondary", "vocational", "bachelor", "master", "doctorate")
_OCCUPATION = ("employed", "self_employed", "civil_servant", "student", "retired", "unemployed")
_ID_METHODS = ("document", "biometric", "bank", "real_name")


@dataclass(frozen=True, slots=True)
class Profiles:
    """True personal details of a chunk's people (Arrow strings, numpy codes and days)."""

    name: Any
    misspelt: Any
    typo_source: NDArray[np.int64]
    email: Any
    address: Any
    old_address: Any
    move_month: NDArray[np.int64]
    address_since: NDArray[np.int64]
    old_address_since: NDArray[np.int64]
    phone_since: NDArray[np.int64]
    education: NDArray[np.int64]
    occupation: NDArray[np.int64]


def _misspell(name: str, rng: np.random.Generator) -> str:
    family, given = name.split(" ", 1)
    i = int(rng.integers(1, len(given)))
    variants = (
        given[:i] + given[i + 1 :],
        given[:i] + given[i] + given[i:],
        given[: i - 1] + given[i] + given[i - 1] + given[i + 1 :],
    )
    altered = variants[int(rng.integers(0, 3))]
    return f"{family} {altered if altered != given else given + given[-1]}"


def _addresses(cohort: Cohort, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Current and previous address of everyone (previous used only by movers)."""
    n = cohort.n
    home = province_index(cohort.world.id_slots.forward(cohort.st.index))
    cities = [PROVINCES[p][1] for p in home]
    moved_away = rng.random(n) < 0.4
    city = [
        BIG_CITIES[int(k)] if far else c
        for k, far, c in zip(rng.integers(0, len(BIG_CITIES), n), moved_away, cities, strict=True)
    ]
    result = []
    for _ in range(2):
        street, number = rng.integers(0, len(STREETS), n), rng.integers(1, 900, n)
        building, room = rng.integers(1, 40, n), rng.integers(101, 3300, n)
        result.append(
            [
                f"No. {int(a)} {STREETS[s]}, Building {int(b)}, Room {int(r)}, {c}"
                for s, a, b, r, c in zip(street, number, building, room, city, strict=True)
            ]
        )
    return result[0], result[1]


def _occupation(cohort: Cohort, rng: np.random.Generator) -> NDArray[np.int64]:
    z, n = cohort.st.z, cohort.n
    age = (
        cohort.world.calendar.start_day[-1] - birth_days(cohort.world, cohort.st.index, z)
    ) / 365.25
    code = np.where(rng.random(n) < 0.18, 1, 0)
    code = np.where(rng.random(n) < sigmoid(-2.5 + 0.6 * z), 2, code)
    code = np.where(rng.random(n) < sigmoid(-3.0 - 0.8 * z), 5, code)
    code = np.where((age < 24) & (rng.random(n) < 0.5), 3, code)
    return np.where((age > 60) & (rng.random(n) < 0.7), 4, code)


def build_profiles(cohort: Cohort, rng: np.random.Generator) -> Profiles:
    """Draw the chunk's true personal details."""
    n, cal = cohort.n, cohort.world.calendar
    weights = 1.0 / (np.arange(len(FAMILY_NAMES)) + 3.0)
    family = rng.choice(len(FAMILY_NAMES), size=n, p=weights / weights.sum())
    given = rng.integers(0, len(GIVEN_NAMES), n)
    names = [f"{FAMILY_NAMES[f]} {GIVEN_NAMES[g]}" for f, g in zip(family, given, strict=True)]
    number, domain = rng.integers(1, 10_000, n), rng.integers(0, len(EMAIL_DOMAINS), n)
    emails = [
        f"{GIVEN_NAMES[g].lower()}.{FAMILY_NAMES[f].lower()}{int(k)}@{EMAIL_DOMAINS[d]}"
        if real
        else f"u{int(k) * 7919 % 100_000:05d}{FAMILY_NAMES[f].lower()}@tmpmail.cn"
        for f, g, k, d, real in zip(family, given, number, domain, cohort.real, strict=True)
    ]
    typo = cohort.real & (rng.random(n) < 0.03)
    address, old_address = _addresses(cohort, rng)
    mover = cohort.real & (rng.random(n) < 0.15) & (cal.months > 1)
    move_month = np.where(mover, rng.integers(1, max(cal.months, 2), n), NEVER)
    first = int(cal.start_day[0])
    # Moved in the weeks before the month in which sources hear of it.
    moved_on = cal.start_day[np.minimum(move_month, cal.months - 1)] - rng.integers(1, 28, n)
    old_since = first - rng.integers(30, 4_000, n)
    score = 0.8 * cohort.st.z + 0.6 * rng.standard_normal(n)
    return Profiles(
        name=pa.array(names),
        misspelt=pa.array(
            [_misspell(s, rng) if t else s for s, t in zip(names, typo, strict=True)]
        ),
        typo_source=np.where(typo, rng.integers(0, len(PROFILE_SOURCES), n), -1),
        email=pa.array(emails),
        address=pa.array(address),
        old_address=pa.array(old_address),
        move_month=move_month,
        address_since=np.where(mover, moved_on, old_since),
        old_address_since=old_since,
        phone_since=first - rng.integers(30, 5_000, n),
        education=np.searchsorted([-1.6, -0.5, 0.3, 1.3, 2.2], score).astype(np.int64),
        occupation=_occupation(cohort, rng),
    )


def _masked(values: Any, keep: NDArray[np.bool_]) -> Any:
    return pc.if_else(pa.array(keep), values, pa.scalar(None, type=values.type))


def _field(
    name: str,
    p: Profiles,
    cohort: Cohort,
    *,
    owner: NDArray[np.int64],
    moved: NDArray[np.bool_],
    source: int,
) -> Any:
    rows = pa.array(owner)
    if name == "name":
        return pc.if_else(
            pa.array(p.typo_source[owner] == source), p.misspelt.take(rows), p.name.take(rows)
        )
    if name == "address":
        return pc.if_else(pa.array(moved), p.address.take(rows), p.old_address.take(rows))
    if name == "address_since":
        return pa.array(
            np.where(moved, p.address_since[owner], p.old_address_since[owner]).astype(np.int32),
            pa.date32(),
        )
    if name == "phone_since":
        return pa.array(p.phone_since[owner].astype(np.int32), pa.date32())
    if name in ("education", "occupation"):
        choices = _EDUCATION if name == "education" else _OCCUPATION
        return categorical(choices, getattr(p, name)[owner])
    people = {"national_id": cohort.national_id, "phone": cohort.phone, "email": p.email}
    return people[name].take(rows)


def emit_profiles(buf: RecordBuffer, cohort: Cohort, p: Profiles, rng: np.random.Generator) -> None:
    """Add the ``profile_update`` events of ``buf``'s source: on joining, and after a move."""
    source = buf.source
    cal = cohort.world.calendar
    joined = np.flatnonzero(cohort.member[source]).astype(np.int64)
    moves = joined[
        (p.move_month[joined] > cohort.since[source][joined])
        & (p.move_month[joined] <= cohort.st.active_end[joined])
        & (rng.random(len(joined)) < _HEARS_OF_MOVE[source])
    ]
    owner = np.concatenate([joined, moves])
    month = np.concatenate([cohort.since[source][joined], p.move_month[moves]])
    at = cal.within(rng, month, 0.0, 0.2)
    # Non-movers (move_month NEVER) have always lived at their current address.
    moved = (month >= p.move_month[owner]) | (p.move_month[owner] == NEVER)
    real = cohort.real[owner]
    z = cohort.st.z[owner]
    fields = {}
    for name in _FIELDS[source]:
        value = _field(
            name, p, cohort, owner=owner, moved=moved, source=PROFILE_SOURCES.index(source)
        )
        keep = rng.random(len(owner)) >= _MISSING.get(name, 0.0) * 2.0 * sigmoid(-0.5 * z)
        keep &= real | (name in _SYBIL_FIELDS)
        fields[name] = _masked(value, keep)
    buf.add("profile_update", owner, at, **fields)


def emit_identity(buf: RecordBuffer, cohort: Cohort, rng: np.random.Generator) -> None:
    """Identity verification on joining: documents at the bank, real-name phone at the operator."""
    source = buf.source
    owner = np.flatnonzero(cohort.member[source] & cohort.real).astype(np.int64)
    owner = owner[rng.random(len(owner)) < (0.92 if source == "bank" else 0.9)]
    at = cohort.world.calendar.within(rng, cohort.since[source][owner], 0.2, 0.3)
    if source != "bank":
        buf.add("identity_verified", owner, at, method="phone")
        return
    method = rng.choice(len(_ID_METHODS), size=len(owner), p=(0.4, 0.25, 0.2, 0.15))
    document = _masked(categorical(("id_card",), np.zeros(len(owner), np.int64)), method <= 1)
    buf.add(
        "identity_verified",
        owner,
        at,
        method=categorical(_ID_METHODS, method),
        document_type=document,
    )
