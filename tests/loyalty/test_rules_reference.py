"""Random rules against brute-force references: three-valued logic as Python closures, and the
privilege status computed from its definition."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from credo.loyalty.catalogue import loads_catalogue
from credo.loyalty.evaluate import evaluate_privileges, is_near
from credo.loyalty.facts import BANDS, DIMENSIONS, Facts
from credo.loyalty.rules import parse_rule

# None is "unknown"; the rule holds when the reference is True (unknown reads as no at the end)
Ref = Callable[[Facts], bool | None]
OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def _dimension(name: str) -> Callable[[Facts], float | None]:
    return lambda f: f.dims.get(name)


NUMBERS: dict[str, tuple[Callable[[Facts], float | None], st.SearchStrategy[float]]] = {
    "score": (lambda f: f.score, st.sampled_from([400, 599, 600, 601, 650, 700, 950])),
    "percentile": (lambda f: f.percentile, st.sampled_from([0, 10.5, 50, 80, 100])),
    "months_scored": (lambda f: f.months_scored, st.integers(0, 12)),
    "defaults_24m": (lambda f: f.defaults_24m, st.integers(0, 3)),
    "worst_dpd_12m": (lambda f: f.worst_dpd_12m, st.sampled_from([0, 30, 30.5, 90])),
    "score_trend_3m": (lambda f: f.score_trend_3m, st.sampled_from([-20, -0.5, 0, 10])),
    **{f"dim.{d}": (_dimension(d), st.sampled_from([0, 49.5, 50, 100])) for d in DIMENSIONS},
}


def _value(f: Facts, name: str) -> float | None:
    return NUMBERS[name][0](f)


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[str, Ref]:
    op = draw(st.sampled_from(list(OPS)))
    if draw(st.booleans()):
        band = draw(st.sampled_from(BANDS))
        rank = BANDS.index(band)

        def band_ref(f: Facts) -> bool | None:
            return None if f.band is None else OPS[op](BANDS.index(f.band), rank)

        return f'band {op} "{band}"', band_ref
    name = draw(st.sampled_from(list(NUMBERS)))
    literal = draw(NUMBERS[name][1])

    def number_ref(f: Facts) -> bool | None:
        value = _value(f, name)
        return None if value is None else OPS[op](value, literal)

    return f"{name} {op} {literal}", number_ref


def _flag(f: Facts) -> bool | None:
    return f.identity_verified


def _not(child: tuple[str, Ref]) -> tuple[str, Ref]:
    text, ref = child

    def negation(f: Facts) -> bool | None:
        value = ref(f)
        return None if value is None else not value

    return f"not ({text})", negation


def _and(children: list[tuple[str, Ref]]) -> tuple[str, Ref]:
    def conjunction(f: Facts) -> bool | None:
        values = [ref(f) for _, ref in children]
        if False in values:
            return False
        return None if None in values else True

    return " and ".join(f"({t})" for t, _ in children), conjunction


def _or(children: list[tuple[str, Ref]]) -> tuple[str, Ref]:
    def disjunction(f: Facts) -> bool | None:
        values = [ref(f) for _, ref in children]
        if True in values:
            return True
        return None if None in values else False

    return " or ".join(f"({t})" for t, _ in children), disjunction


rules = st.recursive(
    st.one_of(comparisons(), st.just(("identity_verified", _flag))),
    lambda inner: st.one_of(
        inner.map(_not),
        st.lists(inner, min_size=2, max_size=3).map(_and),
        st.lists(inner, min_size=2, max_size=3).map(_or),
    ),
    max_leaves=8,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


facts = st.builds(
    Facts,
    score=maybe(st.sampled_from([350, 599, 600, 601, 650, 700, 950])),
    band=maybe(st.sampled_from(BANDS)),
    percentile=maybe(st.sampled_from([0, 10.5, 50, 80, 100])),
    dims=st.dictionaries(st.sampled_from(DIMENSIONS), maybe(st.sampled_from([0, 49.5, 50, 100]))),
    months_scored=st.integers(0, 12),
    defaults_24m=maybe(st.integers(0, 3)),
    worst_dpd_12m=maybe(st.sampled_from([0, 30, 30.5, 90])),
    identity_verified=st.booleans(),
    score_trend_3m=maybe(st.sampled_from([-20, -0.5, 0, 10])),
)


@settings(max_examples=50, deadline=None)
@given(rule=rules, people=st.lists(facts, min_size=1, max_size=8))
def test_evaluate_matches_the_three_valued_reference(
    rule: tuple[str, Ref], people: list[Facts]
) -> None:
    text, reference = rule
    parsed = parse_rule(text)
    for person in people:
        assert parsed.evaluate(person) is (reference(person) is True), (text, person)


@settings(max_examples=50, deadline=None)
@given(rule=rules, people=st.lists(facts, min_size=1, max_size=8))
def test_a_rule_holds_exactly_when_nothing_is_missing(
    rule: tuple[str, Ref], people: list[Facts]
) -> None:
    parsed = parse_rule(rule[0])
    for person in people:
        gaps = parsed.missing(person)
        assert parsed.evaluate(person) is (gaps == [])
        for gap in gaps:  # each gap is an atom of the rule that the person does not meet
            assert not parse_rule(gap.expression).evaluate(person)
            assert (gap.distance is None) or gap.distance >= 0


@settings(max_examples=50, deadline=None)
@given(rule=rules)
def test_a_rule_renders_to_text_that_parses_to_the_same_tree(rule: tuple[str, Ref]) -> None:
    parsed = parse_rule(rule[0])
    assert parse_rule(str(parsed)).root == parsed.root


@settings(max_examples=50, deadline=None)
@given(
    texts=st.lists(rules.map(lambda rule: rule[0]), min_size=1, max_size=4),
    people=st.lists(facts, min_size=1, max_size=8),
    reach_points=st.sampled_from([0, 10, 50, 300]),
)
def test_privilege_status_matches_its_definition(
    texts: list[str], people: list[Facts], reach_points: int
) -> None:
    toml = "".join(
        f"[privileges.p{i}]\nname = 'P'\ncategory = 'rental'\nrule = '{t}'\nbenefit = 'B'\n"
        for i, t in enumerate(texts)
    )
    catalogue = loads_catalogue(toml)
    for person in people:
        status = evaluate_privileges(catalogue, person, reach_points=reach_points)
        held = tuple(p.key for p in catalogue if p.rule.evaluate(person))
        near = tuple(
            (p.key, tuple(gaps))
            for p in catalogue
            if (gaps := p.rule.missing(person))
            and all(is_near(g, reach_points=reach_points) for g in gaps)
        )
        assert (status.held, status.within_reach) == (held, near)
