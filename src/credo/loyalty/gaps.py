"""What stands between a person and a privilege: one :class:`Gap` per unmet atom of a rule.

Atoms read as sentences (:func:`describe`): ``defaults_24m == 0`` is "no default or collection
in the last 24 months", ``band >= "good"`` is "band good or better".

A gap's *distance* is how far the person's value is from the nearest value meeting the atom, in
the fact's unit (points, days, bands …): ``score >= 650`` at 612 is 38 points short. It is
``None`` when the fact is unknown, for a yes/no fact, and for ``!=``. Its *cost* is the distance
divided by the fact's scale (:attr:`~credo.loyalty.facts.FactSpec.scale`), 1 when there is no
distance; it ranks the branches of an ``or`` (see :mod:`credo.loyalty.rules`).
"""

from __future__ import annotations

from typing import NamedTuple

from credo.loyalty.facts import BANDS, SPECS

__all__ = ["Gap", "describe", "format_literal", "format_number"]

Literal_ = float | int | str | bool

_PHRASE = {
    ">=": "of at least",
    ">": "above",
    "<=": "of at most",
    "<": "below",
    "==": "of exactly",
    "!=": "other than",
}
_BAND_PHRASE = {
    ">=": "{} or better",
    ">": "better than {}",
    "<=": "{} or worse",
    "<": "worse than {}",
    "==": "{}",
    "!=": "other than {}",
}
_COUNT_PHRASE = {">=": "at least", ">": "more than", "<=": "at most", "<": "fewer than"}


def format_number(value: float) -> str:
    """Render a number without a trailing ``.0`` and with at most two decimals.

    >>> format_number(600.0), format_number(8.700000000000003), format_number(-5)
    ('600', '8.7', '-5')
    """
    rounded = round(float(value), 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:g}"


def format_literal(value: Literal_) -> str:
    """Render a literal as the rule language writes it (strings double-quoted)."""
    if isinstance(value, str):
        return f'"{value}"'
    return format_number(value)


def _plural(count: float, unit: tuple[str, str]) -> str:
    return unit[0] if count == 1 else unit[1]


def describe(name: str, op: str, literal: Literal_) -> str:
    """Return the sentence an atom reads as.

    >>> describe("score", ">=", 650)
    'score of at least 650'
    >>> describe("defaults_24m", "==", 0)
    'no default or collection in the last 24 months'
    >>> describe("identity_verified", "==", True)
    'identity verified'
    """
    spec = SPECS[name]
    if spec.kind == "flag":
        return "identity verified" if literal else "identity not verified"
    if spec.kind == "band":
        return "band " + _BAND_PHRASE[op].format(literal)
    assert not isinstance(literal, str)
    shown = format_number(literal)
    if name == "defaults_24m" and op != "!=":
        if literal == 0 and op in ("==", "<=", "<"):
            return "no default or collection in the last 24 months"
        count = _COUNT_PHRASE.get(op, "exactly")
        nouns = _plural(literal, spec.unit)
        return f"{count} {shown} {nouns} in the last 24 months"
    if name == "worst_dpd_12m" and op in ("<=", "<"):
        if literal == 0 and op == "<=":
            return "no late payment in the last 12 months"
        late = f"more than {shown}" if op == "<=" else f"{shown} or more"
        return f"no payment {late} days late in the last 12 months"
    if name == "months_scored" and op in (">=", ">"):
        least = "at least" if op == ">=" else "more than"
        return f"{least} {shown} {_plural(literal, spec.unit)} of score history"
    if name == "score_trend_3m" and op in (">=", ">") and literal == 0:
        return "score not falling over the last 3 months" if op == ">=" else "score rising"
    return f"{spec.label} {_PHRASE[op]} {shown}"


class Gap(NamedTuple):
    """One unmet atom of a rule and how far the person is from meeting it.

    An immutable named tuple: a monthly run builds millions of them.

    Attributes
    ----------
    fact
        The fact name, e.g. ``score``.
    op
        The atom's operator (``==`` for a yes/no fact, ``required`` is then the wanted value).
    required
        The atom's literal: a number, a band name, or ``True``/``False``.
    current
        The person's value (a band name for ``band``); ``None`` when unknown.
    distance
        How far ``current`` is from meeting the atom, in the fact's unit; ``None`` when the
        fact is unknown, for a yes/no fact and for ``!=``.
    atom
        The atom as a sentence, e.g. "score of at least 650".
    """

    fact: str
    op: str
    required: Literal_
    current: Literal_ | None
    distance: float | None
    atom: str

    @property
    def unknown(self) -> bool:
        """Whether the gap is there because the fact is unknown."""
        return self.current is None

    @property
    def expression(self) -> str:
        """The atom in rule syntax, e.g. ``score >= 650`` or ``not identity_verified``."""
        if isinstance(self.required, bool):
            return self.fact if self.required else f"not {self.fact}"
        return f"{self.fact} {self.op} {format_literal(self.required)}"

    @property
    def cost(self) -> float:
        """The distance normalised by the fact's scale; 1 when there is no distance."""
        if self.distance is None:
            return 1.0
        return self.distance / SPECS[self.fact].scale

    @property
    def shortfall(self) -> str:
        """What is missing in words, e.g. "38 points short", "score unknown"."""
        spec = SPECS[self.fact]
        if self.current is None:
            return f"{spec.label} unknown"
        if isinstance(self.required, bool):
            return "identity not verified" if self.required else "identity verified"
        if self.distance is None:
            return f"currently {format_literal(self.current)}"
        if self.distance == 0:  # a strict bound on a real-valued fact, met with equality
            return f"at {format_literal(self.required)}, must pass it"
        amount = f"{format_number(self.distance)} {_plural(self.distance, spec.unit)}"
        return f"{amount} short" if self._below() else f"{amount} over the limit"

    def _below(self) -> bool:
        if self.op in (">=", ">"):
            return True
        if self.op in ("<=", "<"):
            return False
        current, required = self.current, self.required
        if isinstance(current, str) and isinstance(required, str):
            return BANDS.index(current) < BANDS.index(required)
        assert not isinstance(current, str | None)
        assert not isinstance(required, str)
        return current < required

    def to_dict(self) -> dict[str, object]:
        """Return the gap as JSON-ready values."""
        return {
            "fact": self.fact,
            "expression": self.expression,
            "atom": self.atom,
            "required": self.required,
            "current": self.current,
            "distance": self.distance,
            "shortfall": self.shortfall,
        }
