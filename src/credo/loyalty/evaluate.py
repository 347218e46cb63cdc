"""Which privileges a person holds, and which are just out of reach with what is missing.

A privilege is *just out of reach* when its rule is unmet and every gap
(:meth:`~credo.loyalty.rules.Rule.missing`) is *near*:

- a lower bound (``>=``, ``>``) on a known ``score`` at most ``reach_points`` short (50: about
  one band, a few months of good behaviour);
- a lower bound on a known ``dim.*`` dimension score at most 10 points short;
- a lower bound on a known ``percentile`` at most 5 percentile points short;
- a lower bound on a known ``band`` one band short;
- ``identity_verified`` when it is missing: the person can act on it today.

Every other gap puts the privilege out of reach: an unknown fact, an upper bound (a default,
late payments, a trend), too short a history (``months_scored`` grows by itself but not
quickly), ``==`` and ``!=``. For an ``or`` the gaps judged are those of its cheapest branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from credo.errors import InvalidInputError
from credo.loyalty.catalogue import Catalogue
from credo.loyalty.facts import Facts
from credo.loyalty.gaps import Gap

__all__ = [
    "BAND_REACH",
    "DEFAULT_REACH_POINTS",
    "DIMENSION_REACH_POINTS",
    "PERCENTILE_REACH_POINTS",
    "PrivilegeStatus",
    "Reachable",
    "evaluate_privileges",
    "is_near",
]

DEFAULT_REACH_POINTS = 50
DIMENSION_REACH_POINTS = 10
PERCENTILE_REACH_POINTS = 5
BAND_REACH = 1


class Reachable(NamedTuple):
    """A privilege just out of reach and what is missing for it."""

    key: str
    gaps: tuple[Gap, ...]

    def to_dict(self) -> dict[str, object]:
        """Return the privilege key and its gaps as JSON-ready values."""
        return {"privilege": self.key, "missing": [g.to_dict() for g in self.gaps]}


@dataclass(frozen=True)
class PrivilegeStatus:
    """The privileges a person holds and those just out of reach, in catalogue order."""

    held: tuple[str, ...]
    within_reach: tuple[Reachable, ...]

    def to_dict(self) -> dict[str, object]:
        """Return the status as JSON-ready values."""
        return {
            "held": list(self.held),
            "within_reach": [r.to_dict() for r in self.within_reach],
        }


def is_near(gap: Gap, *, reach_points: int = DEFAULT_REACH_POINTS) -> bool:
    """Whether a gap is small enough for its privilege to count as just out of reach.

    See the module docstring for the rules.
    """
    if gap.current is None:
        return False
    if gap.fact == "identity_verified":
        return gap.required is True
    if gap.op not in (">=", ">") or gap.distance is None:
        return False
    if gap.fact == "score":
        return gap.distance <= reach_points
    if gap.fact.startswith("dim."):
        return gap.distance <= DIMENSION_REACH_POINTS
    if gap.fact == "percentile":
        return gap.distance <= PERCENTILE_REACH_POINTS
    if gap.fact == "band":
        return gap.distance <= BAND_REACH
    return False


def evaluate_privileges(
    catalogue: Catalogue, facts: Facts, *, reach_points: int = DEFAULT_REACH_POINTS
) -> PrivilegeStatus:
    """Evaluate every privilege of ``catalogue`` for one person.

    Parameters
    ----------
    catalogue
        The privileges, rules already parsed.
    facts
        What is known of the person.
    reach_points
        How many score points short still counts as just out of reach.

    Raises
    ------
    InvalidInputError
        ``reach_points`` is negative.

    Examples
    --------
    >>> from credo.loyalty.catalogue import default_catalogue
    >>> status = evaluate_privileges(default_catalogue(), Facts(score=612, defaults_24m=0))
    >>> status.held
    ('credit_library', 'deposit_free_power_bank')
    >>> reach = [(r.key, [g.shortfall for g in r.gaps]) for r in status.within_reach]
    >>> reach[:3]  # doctest: +NORMALIZE_WHITESPACE
    [('credit_stay_hotel', ['identity not verified']),
     ('verified_dating_badge', ['identity not verified']),
     ('deposit_free_bike', ['38 points short'])]
    """
    if reach_points < 0:
        raise InvalidInputError(f"reach_points must be ≥ 0, got {reach_points}")
    held: list[str] = []
    near: list[Reachable] = []

    def near_enough(gap: Gap) -> bool:
        return is_near(gap, reach_points=reach_points)

    for privilege in catalogue.privileges:
        root = privilege.rule.root  # Rule.evaluate and Rule.missing, one call less each
        if root.holds(facts):
            held.append(privilege.key)
            continue
        # equal to all(near_enough(g) for g in root.gaps(facts)), stopping at the first far gap
        gaps = root.near_gaps(facts, near_enough)
        if gaps is not None:
            near.append(Reachable(privilege.key, tuple(gaps)))
    return PrivilegeStatus(tuple(held), tuple(near))
