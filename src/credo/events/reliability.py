"""Estimating how reliable each source is, from agreement with the others and from disputes.

A source's **reliability** is the probability that one of its records is true; the monthly run
weighs every event by it. The estimate is made from two kinds of evidence.

**Agreement on overlapping facts.** Several sources report some of the same facts about a person
(:mod:`credo.features.agreement` counts them): the personal details of a profile, or a person
being in arrears around the same months. A fact of a source *overlaps* when another source
reports the same kind of fact about the same person, and *agrees* when the others confirm it.
Even a true fact is not always confirmed (a person can be late at one lender only), and even a
made-up one sometimes is (by chance). So within each family of facts:

- the **chance** rate ``b`` of a source is how often its facts are confirmed when held against
  a person picked at random (the next person in token order) instead of their own, shrunk
  towards the family's pooled chance rate with :data:`CHANCE_PRIOR_FACTS` pseudo-facts;
- its agreement **beyond chance** is ``kappa = (a - b) / (1 - b)`` for an agreement rate ``a``
  (Cohen's form). A made-up fact is confirmed at the chance rate only, so a source with a share
  ``t`` of true facts agrees at ``a = t c + (1 - t) b`` and has ``kappa = t * kappa_true``;
- the **reference** ``kappa_true`` is the kappa of the source that agrees most, computed from
  the lower end of its agreement rate's 95% Wilson interval so that a small source agreeing by
  luck does not set the bar. The source that agrees most is assumed honest (were none honest,
  agreement could not tell);
- the source's **true share** is then ``t = kappa / kappa_true``, clipped to [0, 1].

A family whose reference is below :data:`MIN_SIGNAL` tells nothing and is left out.

**Dispute outcomes.** A dispute upheld against a source is one record known to be false; a
rejected one, a record known to be true.

**Bayesian shrinkage, per category.** Each category of data a source sends gets the mean of a
Beta posterior whose prior is the reliability the operator declared when registering the
source, worth ``strength`` facts (20 by default); its evidence is the checked facts of that
category and the source's disputes::

    alpha = strength * declared + t * facts + rejected
    beta  = strength * (1 - declared) + (1 - t) * facts + upheld
    category estimate = alpha / (alpha + beta)

A source with little evidence stays near what the operator declared, one with much evidence
gets what the evidence says, and every estimate is in (0, 1].

**One weight, the lowest.** The run gives a source one weight, but the facts only check some of
what it sends. A weight raised because a source's profiles agree would also lift its ties or
purchases, which nothing checked (and accurate profiles are cheap to send), so the source's
estimate is the *lowest* of its categories' estimates, a category nothing checks keeping the
prior (moved only by disputes). Evidence can lower a weight anywhere and raise it only where
everything the source sends was checked.

Worked example: a lender sending only credit history, declared 0.9, no disputes; 100
overlapping facts of which 50 agree, chance 0.2 (``kappa = 0.3 / 0.8 = 0.375``), reference
``kappa_true = 0.75`` (``t = 0.5``): ``(18 + 50) / (20 + 100) = 0.567``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Set
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from credo.errors import InvalidInputError

__all__ = [
    "CHANCE_PRIOR_FACTS",
    "CONFIDENCE_Z",
    "DEFAULT_STRENGTH",
    "MIN_SIGNAL",
    "CategoryEstimate",
    "FamilyAgreement",
    "FamilyShare",
    "ReliabilityEstimate",
    "SourceState",
    "estimate_reliability",
    "wilson_lower",
]

DEFAULT_STRENGTH = 20.0
"""How many facts the declared reliability is worth."""

CONFIDENCE_Z = 1.96
"""The reference is computed from the lower end of a two-sided 95% Wilson interval."""

CHANCE_PRIOR_FACTS = 20.0
"""How many facts the family's pooled chance rate is worth in each source's chance rate."""

MIN_SIGNAL = 0.05
"""The smallest reference agreement beyond chance (kappa) for a family to carry evidence."""


class SourceState(Protocol):
    """What the estimator reads of a registered source
    (:class:`credo.events.sources.Source` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def categories(self) -> Set[str]: ...
    @property
    def reliability(self) -> float: ...
    @property
    def reliability_pinned(self) -> bool: ...
    @property
    def reliability_declared(self) -> float: ...
    @property
    def disputes_upheld(self) -> int: ...
    @property
    def disputes_rejected(self) -> int: ...


@dataclass(frozen=True, slots=True)
class FamilyAgreement:
    """How one source's facts of one family (checking one ``category`` of data) compare with
    the other sources' facts.

    Attributes
    ----------
    records
        The source's facts of the family, overlapping or not.
    facts, agreeing
        Those that overlap with another source's facts, and those of them the others confirm.
    chance_facts, chance_agreeing
        The same facts held against a person picked at random: how many overlap, and how many
        the others confirm by chance.
    """

    source: str
    family: str
    category: str
    records: int
    facts: int
    agreeing: int
    chance_facts: int = 0
    chance_agreeing: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.agreeing <= self.facts <= self.records:
            raise InvalidInputError(
                f"source {self.source!r}, family {self.family!r}: need 0 <= agreeing <= facts "
                f"<= records, got {self.agreeing}, {self.facts}, {self.records}"
            )
        if not 0 <= self.chance_agreeing <= self.chance_facts:
            raise InvalidInputError(
                f"source {self.source!r}, family {self.family!r}: need 0 <= chance_agreeing <= "
                f"chance_facts, got {self.chance_agreeing}, {self.chance_facts}"
            )


@dataclass(frozen=True, slots=True)
class FamilyShare:
    """One family's evidence about a source: its agreement rate, its chance rate, its agreement
    beyond chance (``kappa``) against the family's ``reference``, and the share of true facts
    that implies (``None`` when the family tells nothing)."""

    family: str
    category: str
    records: int
    facts: int
    agreeing: int
    agreement: float | None
    chance: float
    kappa: float | None
    reference: float | None
    true_share: float | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (counts and rates only)."""
        return _plain(self)


@dataclass(frozen=True, slots=True)
class CategoryEstimate:
    """The posterior of one category of a source's data: ``facts`` checked (0: the prior,
    moved only by disputes), of which ``true_facts`` true by agreement; ``spread`` is the
    posterior's standard deviation."""

    category: str
    estimate: float
    spread: float
    facts: int
    true_facts: float

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return _plain(self)


@dataclass(frozen=True, slots=True)
class ReliabilityEstimate:
    """A source's estimated reliability with its evidence.

    ``estimate`` is the lowest of the ``categories``' estimates (``set_by`` names that category,
    ``spread`` is its posterior's standard deviation). ``facts``, ``agreeing`` and
    ``disagreeing`` count the overlapping facts of the families that carry evidence.
    """

    source: str
    current: float
    pinned: bool
    declared: float
    estimate: float
    spread: float
    set_by: str
    facts: int
    agreeing: int
    disputes_upheld: int
    disputes_rejected: int
    families: tuple[FamilyShare, ...]
    categories: tuple[CategoryEstimate, ...]

    @property
    def disagreeing(self) -> int:
        """Overlapping facts the other sources did not confirm."""
        return self.facts - self.agreeing

    def evidence(self) -> dict[str, Any]:
        """The evidence as plain JSON (counts and rates; nothing about any person)."""
        return {
            "declared": self.declared,
            "set_by": self.set_by,
            "spread": round(self.spread, 4),
            "facts": self.facts,
            "agreeing": self.agreeing,
            "disagreeing": self.disagreeing,
            "disputes_upheld": self.disputes_upheld,
            "disputes_rejected": self.disputes_rejected,
            "categories": [category.to_json() for category in self.categories],
            "families": [family.to_json() for family in self.families],
        }

    def to_json(self) -> dict[str, Any]:
        """The estimate, the current weight and the evidence as plain JSON."""
        return {
            "source": self.source,
            "current": self.current,
            "pinned": self.pinned,
            "estimate": round(self.estimate, 4),
            **self.evidence(),
        }


def _plain(record: FamilyShare | CategoryEstimate) -> dict[str, Any]:
    """A record's fields, rates and shares rounded to 4 decimals."""
    return {
        name: round(value, 4) if isinstance(value, float) else value
        for name, value in asdict(record).items()
    }


def wilson_lower(successes: float, trials: float, z: float = CONFIDENCE_Z) -> float:
    """Lower end of the Wilson score interval of ``successes`` out of ``trials`` (0 for none).

    >>> round(wilson_lower(31, 41), 3)
    0.607
    """
    if trials <= 0:
        return 0.0
    rate = successes / trials
    z2 = z * z
    centre = rate + z2 / (2 * trials)
    margin = z * math.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


@dataclass(frozen=True, slots=True)
class _Family:
    chance: float
    reference: float | None


def _chance(row: FamilyAgreement, pooled: float) -> float:
    """The source's chance rate, shrunk towards the family's pooled one."""
    weight = CHANCE_PRIOR_FACTS
    return (row.chance_agreeing + weight * pooled) / (row.chance_facts + weight)


def _kappa(agreement: float, chance: float) -> float:
    """Agreement beyond chance (Cohen's form); 0 when chance alone confirms everything."""
    return (agreement - chance) / (1.0 - chance) if chance < 1.0 else 0.0


def _families(agreements: list[FamilyAgreement]) -> dict[str, _Family]:
    """Pooled chance rate and reference kappa of each family."""
    result: dict[str, _Family] = {}
    for family in sorted({a.family for a in agreements}):
        rows = [a for a in agreements if a.family == family]
        checked = sum(a.chance_facts for a in rows)
        pooled = sum(a.chance_agreeing for a in rows) / checked if checked else 0.0
        bounds = [
            _kappa(wilson_lower(a.agreeing, a.facts), _chance(a, pooled)) for a in rows if a.facts
        ]
        reference = max(bounds) if bounds else None
        if reference is not None and reference < MIN_SIGNAL:
            reference = None
        result[family] = _Family(pooled, reference)
    return result


def _share(row: FamilyAgreement, family: _Family) -> FamilyShare:
    chance = _chance(row, family.chance)
    agreement = row.agreeing / row.facts if row.facts else None
    kappa = None if agreement is None else _kappa(agreement, chance)
    true_share = None
    if kappa is not None and family.reference is not None:
        true_share = min(1.0, max(0.0, kappa / family.reference))
    return FamilyShare(
        family=row.family,
        category=row.category,
        records=row.records,
        facts=row.facts,
        agreeing=row.agreeing,
        agreement=agreement,
        chance=chance,
        kappa=kappa,
        reference=family.reference,
        true_share=true_share,
    )


def estimate_reliability(
    sources: Iterable[SourceState],
    agreements: Iterable[FamilyAgreement],
    *,
    strength: float = DEFAULT_STRENGTH,
) -> list[ReliabilityEstimate]:
    """Estimate every source's reliability (see the module's docstring for the method).

    Parameters
    ----------
    sources
        The registered sources: categories, declared reliability (the prior), current weight,
        pin, and their disputes' outcomes.
    agreements
        Per source and family of facts, the overlapping facts and agreements
        (:func:`credo.features.agreement.measure_agreement`). Agreements of sources not in
        ``sources`` still shape the families' chance and reference rates.
    strength
        How many facts the declared reliability is worth (> 0).

    Returns
    -------
    list of ReliabilityEstimate
        One per source, in the order given.
    """
    if not strength > 0:
        raise InvalidInputError(f"the prior's strength must be > 0, got {strength}")
    rows = list(agreements)
    families = _families(rows)
    by_source: dict[str, list[FamilyAgreement]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    return [
        _estimate(source, by_source.get(source.name, []), families, strength) for source in sources
    ]


def _posterior(
    source: SourceState, category: str, shares: list[FamilyShare], strength: float
) -> CategoryEstimate:
    facts = sum(s.facts for s in shares)
    true_facts = sum(s.facts * (s.true_share or 0.0) for s in shares)
    declared = source.reliability_declared
    alpha = strength * declared + true_facts + source.disputes_rejected
    beta = strength * (1.0 - declared) + (facts - true_facts) + source.disputes_upheld
    total = alpha + beta
    return CategoryEstimate(
        category=category,
        estimate=alpha / total,
        spread=math.sqrt(alpha * beta / (total * total * (total + 1.0))),
        facts=facts,
        true_facts=true_facts,
    )


def _estimate(
    source: SourceState,
    rows: list[FamilyAgreement],
    families: Mapping[str, _Family],
    strength: float,
) -> ReliabilityEstimate:
    declared = source.reliability_declared
    if not 0.0 < declared <= 1.0:
        raise InvalidInputError(
            f"source {source.name!r}: declared reliability must be in (0, 1], got {declared}"
        )
    ordered = sorted(rows, key=lambda row: (row.category, row.family))
    shares = tuple(_share(row, families[row.family]) for row in ordered)
    used = [s for s in shares if s.true_share is not None]
    names = sorted(set(source.categories) | {s.category for s in used}) or ["all"]
    categories = tuple(
        _posterior(source, name, [s for s in used if s.category == name], strength)
        for name in names
    )
    lowest = min(categories, key=lambda c: c.estimate)
    return ReliabilityEstimate(
        source=source.name,
        current=source.reliability,
        pinned=source.reliability_pinned,
        declared=declared,
        estimate=lowest.estimate,
        spread=lowest.spread,
        set_by=lowest.category,
        facts=sum(s.facts for s in used),
        agreeing=sum(s.agreeing for s in used),
        disputes_upheld=source.disputes_upheld,
        disputes_rejected=source.disputes_rejected,
        families=shares,
        categories=categories,
    )
