r"""A small, safe rule language for privileges: parsed once, evaluated for each person.

Grammar (keywords are lower case; ``not`` binds tighter than ``and``, ``and`` tighter than
``or``)::

    rule       := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | primary
    primary    := "(" or_expr ")" | FLAG | NAME OP literal
    OP         := ">=" | ">" | "<=" | "<" | "==" | "!="
    literal    := NUMBER | STRING          NUMBER: -?\d+(\.\d+)?   STRING: "…" or '…'

``NAME`` and ``FLAG`` come from the fixed vocabulary of :mod:`credo.loyalty.facts`
(``score``, ``band``, ``percentile``, ``dim.history`` … ``dim.network``, ``months_scored``,
``defaults_24m``, ``worst_dpd_12m``, ``score_trend_3m``; the flag ``identity_verified``).
``band`` takes a quoted band name and compares by band order (``band >= "good"`` holds for
good, very good and excellent); the numbers take a number within the fact's range. Anything
else is refused when the rule is parsed, with the column (1-based) of the offending token.
Nothing is ever handed to Python's ``eval``.

Evaluation is fail closed: an atom on an unknown fact is false whatever its operator. ``not``
is pushed down to the atoms when parsing (``not score >= 600`` is ``score < 600``; De Morgan for
``and``/``or``), so ``not`` over an unknown fact is false too, which is three-valued (Kleene)
logic with "unknown" read as "no" at the end.

:meth:`Rule.missing` lists a :class:`~credo.loyalty.gaps.Gap` per unmet atom. For ``and`` they
are the gaps of every unmet operand; for an unmet ``or`` they are those of its *cheapest*
branch: the fewest gaps, then the smallest sum of normalised distances
(:attr:`~credo.loyalty.gaps.Gap.cost`), then the branch written first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from credo.errors import InvalidInputError
from credo.loyalty.facts import BANDS, FACT_NAMES, SPECS, Facts, FactSpec
from credo.loyalty.gaps import Gap, format_number
from credo.loyalty.nodes import OPERATORS, AllOf, AnyOf, Comparison, Flag, Node

__all__ = ["MAX_DEPTH", "MAX_RULE_CHARS", "Rule", "parse_rule"]

MAX_RULE_CHARS = 2000
MAX_DEPTH = 32


@dataclass(frozen=True)
class Rule:
    """A parsed rule: its source text and its tree (negations pushed down to the atoms).

    Examples
    --------
    >>> rule = parse_rule("score >= 650 and defaults_24m == 0")
    >>> rule.evaluate(Facts(score=612, defaults_24m=0))
    False
    >>> [g.shortfall for g in rule.missing(Facts(score=612, defaults_24m=0))]
    ['38 points short']
    """

    text: str
    root: Node

    def evaluate(self, facts: Facts) -> bool:
        """Whether the person's facts satisfy the rule (unknown facts never do)."""
        return self.root.holds(facts)

    def missing(self, facts: Facts) -> list[Gap]:
        """Return what is missing: empty exactly when :meth:`evaluate` is true."""
        return self.root.gaps(facts)

    @property
    def atoms(self) -> tuple[Comparison | Flag, ...]:
        """The rule's atoms, left to right."""
        return tuple(self.root.atoms())

    @property
    def names(self) -> frozenset[str]:
        """The fact names the rule reads."""
        return frozenset(a.name for a in self.root.atoms())

    def __str__(self) -> str:
        return str(self.root)


class _Token(NamedTuple):
    kind: str  # number, string, op, (, ), word, end
    text: str
    column: int


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"[^"\n]*"|'[^'\n]*')
      | (?P<op>>=|<=|==|!=|>|<)
      | (?P<paren>[()])
      | (?P<word>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)""",
    re.VERBOSE | re.ASCII,
)
_HINTS = {"=": "use '==' to compare", "&": "use 'and'", "|": "use 'or'", "!": "use 'not'"}
_KEYWORDS = frozenset({"and", "or", "not"})


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.tokens = self._tokenize()
        self.index = 0
        self.depth = 0

    def fail(self, problem: str, column: int) -> InvalidInputError:
        prefix = f"{self.where}: " if self.where else ""
        return InvalidInputError(f"{prefix}rule {self.text!r}: {problem} at column {column}")

    def _tokenize(self) -> list[_Token]:
        tokens: list[_Token] = []
        position = 0
        while position < len(self.text):
            match = _TOKEN.match(self.text, position)
            if match is None:
                # reported when the parser reaches it, so the leftmost problem is the one named
                char = self.text[position]
                if char in "\"'":
                    problem = f"unterminated string {self.text[position:]!r}"
                else:
                    hint = f" ({_HINTS[char]})" if char in _HINTS else ""
                    problem = f"unexpected character {char!r}{hint}"
                tokens.append(_Token("bad", problem, position + 1))
                return tokens
            kind = match.lastgroup
            assert kind is not None
            if kind != "space":
                kind = match.group() if kind == "paren" else kind
                tokens.append(_Token(kind, match.group(), position + 1))
            position = match.end()
        tokens.append(_Token("end", "", len(self.text) + 1))
        return tokens

    @property
    def peek(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind == "bad":
            raise self.fail(token.text, token.column)
        return token

    def take(self) -> _Token:
        token = self.peek
        self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        return self.peek.kind == "word" and self.peek.text == word

    def parse(self) -> Node:
        if self.peek.kind == "end":
            raise self.fail("the rule is empty", 1)
        node = self.or_expr()
        token = self.peek
        if token.kind == ")":
            raise self.fail("unexpected ')' with no '(' to close", token.column)
        if token.kind != "end":
            raise self.fail(f"unexpected {token.text!r} after a complete rule", token.column)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.is_keyword("or"):
            self.take()
            children.append(self.and_expr())
        return _join(AnyOf, children)

    def and_expr(self) -> Node:
        children = [self.unary()]
        while self.is_keyword("and"):
            self.take()
            children.append(self.unary())
        return _join(AllOf, children)

    def unary(self) -> Node:
        token = self.peek
        if self.is_keyword("not") or token.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"nesting deeper than {MAX_DEPTH}", token.column)
            self.take()
            node = self.unary().negated() if token.kind == "word" else self.group(token)
            self.depth -= 1
            return node
        return self.atom()

    def group(self, opening: _Token) -> Node:
        node = self.or_expr()
        if self.peek.kind != ")":
            got = self.peek.text or "the end of the rule"
            raise self.fail(
                f"missing ')' to close the '(' at column {opening.column}, got {got!r}",
                self.peek.column,
            )
        self.take()
        return node

    def atom(self) -> Node:
        token = self.take()
        if token.kind != "word" or token.text in _KEYWORDS:
            got = token.text or "the end of the rule"
            raise self.fail(f"expected a fact name, 'not' or '(', got {got!r}", token.column)
        spec = SPECS.get(token.text)
        if spec is None:
            known = ", ".join(FACT_NAMES)
            raise self.fail(f"unknown name {token.text!r} (known names: {known})", token.column)
        if spec.kind == "flag":
            if self.peek.kind == "op":
                raise self.fail(
                    f"{spec.name} is a yes/no fact and takes no comparison "
                    f"(write {spec.name!r} or 'not {spec.name}')",
                    self.peek.column,
                )
            return Flag(spec.name)
        op = self.take()
        if op.kind != "op":
            got = op.text or "the end of the rule"
            raise self.fail(
                f"expected an operator ({' '.join(OPERATORS)}) after {spec.name!r}, got {got!r}",
                op.column,
            )
        return Comparison(spec.name, op.text, self.literal(spec))

    def literal(self, spec: FactSpec) -> float | int | str:
        token = self.take()
        got = token.text or "the end of the rule"
        if spec.kind == "band":
            bands = ", ".join(BANDS)
            if token.kind != "string":
                raise self.fail(
                    f"band compares with a quoted band name ({bands}), got {got!r}", token.column
                )
            if token.text[1:-1] not in BANDS:
                raise self.fail(f"unknown band {token.text} (in order: {bands})", token.column)
            return token.text[1:-1]
        if token.kind != "number":
            raise self.fail(f"{spec.name} compares with a number, got {got!r}", token.column)
        value = float(token.text) if "." in token.text else int(token.text)
        if not spec.low <= value <= spec.high:
            span = f"{format_number(spec.low)}..{format_number(spec.high)}"
            raise self.fail(
                f"{token.text} is outside the range of {spec.name} ({span})", token.column
            )
        return value


def _join(kind: type[AllOf] | type[AnyOf], children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def parse_rule(text: str, *, where: str = "") -> Rule:
    """Parse a rule once; evaluate the returned :class:`Rule` for each person.

    Parameters
    ----------
    text
        The rule, in the grammar of this module's docstring.
    where
        What the rule belongs to, prefixed to error messages (e.g. the file and the privilege).

    Raises
    ------
    InvalidInputError
        The rule is empty, too long or too deep, has an unknown name, a bad token, a literal of
        the wrong type or out of range, unbalanced parentheses or trailing text; the message
        gives the column of the offending token.
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(text, str):
        raise InvalidInputError(f"{prefix}a rule must be a string, got {type(text).__name__}")
    if len(text) > MAX_RULE_CHARS:
        raise InvalidInputError(f"{prefix}rule is longer than {MAX_RULE_CHARS} characters")
    return Rule(text, _Parser(text, where).parse())
