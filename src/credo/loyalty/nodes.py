"""The tree of a parsed rule: atoms (:class:`Comparison`, :class:`Flag`) under ``and``/``or``.

There is no ``not`` node: the parser pushes negations down to the atoms (see
:mod:`credo.loyalty.rules`). Every node answers :meth:`holds` (fail closed on unknown facts) and
:meth:`gaps` (empty exactly when it holds); an unmet ``or`` reports its cheapest branch.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from credo.errors import InvalidInputError
from credo.loyalty.facts import BANDS, SPECS, Facts, FactSpec
from credo.loyalty.gaps import Gap, describe, format_literal

__all__ = ["OPERATORS", "AllOf", "AnyOf", "Comparison", "Flag", "NearTest", "Node"]

NearTest = Callable[[Gap], bool]

OPERATORS: tuple[str, ...] = (">=", ">", "<=", "<", "==", "!=")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}


@dataclass(frozen=True, slots=True)
class Comparison:
    """An atom ``name op literal`` on a number or on the band (a band name as literal)."""

    name: str
    op: str
    literal: float | int | str
    text: str = field(init=False, repr=False, compare=False)
    _spec: FactSpec = field(init=False, repr=False, compare=False)
    _get: Callable[[Facts], object] = field(init=False, repr=False, compare=False)
    _target: float = field(init=False, repr=False, compare=False)
    _compare: Callable[[float, float], bool] = field(init=False, repr=False, compare=False)
    _unknown: tuple[Gap, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spec = SPECS.get(self.name)
        kind = "band" if isinstance(self.literal, str) else "number"
        if spec is None or spec.kind != kind or self.op not in _COMPARE:
            raise InvalidInputError(f"no such comparison: {self.name} {self.op} {self.literal!r}")
        if isinstance(self.literal, str) and self.literal not in BANDS:
            raise InvalidInputError(f"unknown band {self.literal!r} (in order: {', '.join(BANDS)})")
        target = BANDS.index(self.literal) if isinstance(self.literal, str) else self.literal
        text = describe(self.name, self.op, self.literal)
        # evaluated for a million people a month: resolve everything once, here
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_get", spec.get)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_compare", _COMPARE[self.op])
        object.__setattr__(
            self, "_unknown", (Gap(self.name, self.op, self.literal, None, None, text),)
        )

    def holds(self, facts: Facts) -> bool:
        """Whether the atom holds; ``False`` when the fact is unknown."""
        value = self._get(facts)
        if value is None or value != value:  # noqa: PLR0124 (NaN ≠ NaN: NaN is unknown too)
            return False
        return self._compare(value, self._target)  # type: ignore[arg-type]

    def gaps(self, facts: Facts) -> list[Gap]:
        """Return ``[]`` when the atom holds, else its one gap."""
        value = self._get(facts)
        if value is None or value != value:  # noqa: PLR0124 (NaN ≠ NaN: NaN is unknown too)
            return list(self._unknown)
        number: float = value  # type: ignore[assignment]
        if self._compare(number, self._target):
            return []
        shown = BANDS[int(number)] if self._spec.kind == "band" else number
        return [Gap(self.name, self.op, self.literal, shown, self._distance(number), self.text)]

    def _distance(self, value: float) -> float | None:
        op, target = self.op, self._target
        if op == "!=":
            return None
        if op == "==":
            distance = abs(value - target)
        else:
            distance = target - value if op[0] == ">" else value - target
            if len(op) == 1:
                distance += self._spec.step
        return distance if type(distance) is int else round(distance, 6)

    def near_gaps(self, facts: Facts, is_near: NearTest) -> list[Gap] | None:
        """:meth:`gaps` when every one passes ``is_near``, else ``None``."""
        found = self.gaps(facts)
        return found if not found or is_near(found[0]) else None

    def negated(self) -> Comparison:
        """Return the atom that holds exactly when this one fails on a known fact."""
        return Comparison(self.name, _NEGATED[self.op], self.literal)

    def atoms(self) -> Iterator[Comparison | Flag]:
        """Yield the atom itself."""
        yield self

    def __str__(self) -> str:
        return f"{self.name} {self.op} {format_literal(self.literal)}"


@dataclass(frozen=True, slots=True)
class Flag:
    """A yes/no fact, required to be ``expected`` (``not identity_verified`` expects False)."""

    name: str
    expected: bool = True
    _get: Callable[[Facts], object] = field(init=False, repr=False, compare=False)
    _wrong: tuple[Gap, ...] = field(init=False, repr=False, compare=False)
    _unknown: tuple[Gap, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spec = SPECS.get(self.name)
        if spec is None or spec.kind != "flag":
            raise InvalidInputError(f"{self.name!r} is not a yes/no fact")
        text = describe(self.name, "==", self.expected)
        wrong = Gap(self.name, "==", self.expected, not self.expected, None, text)
        object.__setattr__(self, "_get", spec.get)
        object.__setattr__(self, "_wrong", (wrong,))
        object.__setattr__(self, "_unknown", (wrong._replace(current=None),))

    def holds(self, facts: Facts) -> bool:
        """Whether the fact has the expected value; ``False`` when it is unknown."""
        value = self._get(facts)
        return value is not None and bool(value) is self.expected

    def gaps(self, facts: Facts) -> list[Gap]:
        """Return ``[]`` when the flag holds, else its one gap."""
        value = self._get(facts)
        if value is None:
            return list(self._unknown)
        return [] if bool(value) is self.expected else list(self._wrong)

    def near_gaps(self, facts: Facts, is_near: NearTest) -> list[Gap] | None:
        """:meth:`gaps` when every one passes ``is_near``, else ``None``."""
        found = self.gaps(facts)
        return found if not found or is_near(found[0]) else None

    def negated(self) -> Flag:
        """Return the flag expecting the opposite value."""
        return Flag(self.name, not self.expected)

    def atoms(self) -> Iterator[Comparison | Flag]:
        """Yield the atom itself."""
        yield self

    def __str__(self) -> str:
        return self.name if self.expected else f"not {self.name}"


@dataclass(frozen=True, slots=True)
class AllOf:
    """``and``: holds when every operand holds."""

    children: tuple[Node, ...]

    def holds(self, facts: Facts) -> bool:
        """Whether every operand holds."""
        for child in self.children:  # noqa: SIM110 (a loop is 2x faster than all() here)
            if not child.holds(facts):
                return False
        return True

    def gaps(self, facts: Facts) -> list[Gap]:
        """Return the gaps of every unmet operand, in order."""
        found: list[Gap] = []
        for child in self.children:
            found.extend(child.gaps(facts))
        return found

    def near_gaps(self, facts: Facts, is_near: NearTest) -> list[Gap] | None:
        """:meth:`gaps` when every one passes ``is_near``, else ``None`` as soon as one fails."""
        found: list[Gap] = []
        for child in self.children:
            near = child.near_gaps(facts, is_near)
            if near is None:
                return None
            found.extend(near)
        return found

    def negated(self) -> AnyOf:
        """De Morgan: ``not (a and b)`` is ``not a or not b``."""
        return AnyOf(tuple(c.negated() for c in self.children))

    def atoms(self) -> Iterator[Comparison | Flag]:
        """Yield the atoms, left to right."""
        for child in self.children:
            yield from child.atoms()

    def __str__(self) -> str:
        return " and ".join(f"({c})" if isinstance(c, AnyOf) else str(c) for c in self.children)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """``or``: holds when some operand holds; an unmet one reports its cheapest branch."""

    children: tuple[Node, ...]

    def holds(self, facts: Facts) -> bool:
        """Whether some operand holds."""
        for child in self.children:  # noqa: SIM110 (a loop is 2x faster than any() here)
            if child.holds(facts):
                return True
        return False

    def gaps(self, facts: Facts) -> list[Gap]:
        """Return ``[]`` if some operand holds, else the gaps of the cheapest branch."""
        best: list[Gap] = []
        best_key = (0, 0.0)
        for child in self.children:
            found = child.gaps(facts)
            if not found:
                return []
            key = (len(found), sum(g.cost for g in found))
            if not best or key < best_key:
                best, best_key = found, key
        return best

    def near_gaps(self, facts: Facts, is_near: NearTest) -> list[Gap] | None:
        """:meth:`gaps` when every one passes ``is_near``, else ``None``."""
        found = self.gaps(facts)  # the cheapest branch is only known once every branch is
        for gap in found:
            if not is_near(gap):
                return None
        return found

    def negated(self) -> AllOf:
        """De Morgan: ``not (a or b)`` is ``not a and not b``."""
        return AllOf(tuple(c.negated() for c in self.children))

    def atoms(self) -> Iterator[Comparison | Flag]:
        """Yield the atoms, left to right."""
        for child in self.children:
            yield from child.atoms()

    def __str__(self) -> str:
        return " or ".join(str(c) for c in self.children)


Node = Comparison | Flag | AllOf | AnyOf
