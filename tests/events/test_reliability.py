"""The reliability estimator, by hand: chance, agreement beyond chance, reference, shrinkage."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.errors import InvalidInputError
from credo.events.reliability import (
    CHANCE_PRIOR_FACTS,
    FamilyAgreement,
    estimate_reliability,
    wilson_lower,
)

from factories import RegisteredSource


def arrears(source: str, facts: int, agreeing: int, **chance: int) -> FamilyAgreement:
    return FamilyAgreement(source, "arrears", "history", facts, facts, agreeing, **chance)


def test_wilson_lower_bound_of_all_successes_is_n_over_n_plus_z_squared() -> None:
    assert wilson_lower(100, 100) == pytest.approx(100 / (100 + 1.96**2))
    assert wilson_lower(0, 10) == 0.0
    assert wilson_lower(0, 0) == 0.0


def test_the_worked_example_of_the_module() -> None:
    # the reference source: 100 of 100 confirmed at chance 0.2 -> kappa from the Wilson bound
    reference = (100 / (100 + 1.96**2) - 0.2) / 0.8
    rows = [
        arrears("good", 100, 100, chance_facts=100, chance_agreeing=20),
        arrears("mixed", 100, 50, chance_facts=100, chance_agreeing=20),
    ]
    (mixed,) = estimate_reliability([RegisteredSource("mixed")], rows)
    share = (0.5 - 0.2) / 0.8 / reference
    assert mixed.families[0].chance == pytest.approx(0.2)
    assert mixed.families[0].kappa == pytest.approx(0.375)
    assert mixed.families[0].reference == pytest.approx(reference)
    assert mixed.families[0].true_share == pytest.approx(share)
    assert mixed.estimate == pytest.approx((20 * 0.9 + 100 * share) / (20 + 100))
    assert (mixed.facts, mixed.agreeing, mixed.disagreeing) == (100, 50, 50)
    assert mixed.set_by == "history"


def test_a_source_chance_rate_is_shrunk_towards_the_pooled_one() -> None:
    rows = [
        arrears("a", 50, 40, chance_facts=80, chance_agreeing=40),  # 0.5 alone
        arrears("b", 50, 40, chance_facts=20, chance_agreeing=0),  # 0.0 alone
    ]
    pooled = 40 / 100
    a, b = estimate_reliability([RegisteredSource("a"), RegisteredSource("b")], rows)
    weight = CHANCE_PRIOR_FACTS
    assert a.families[0].chance == pytest.approx((40 + weight * pooled) / (80 + weight))
    assert b.families[0].chance == pytest.approx((0 + weight * pooled) / (20 + weight))


def test_a_source_no_better_than_chance_has_no_true_facts() -> None:
    rows = [
        arrears("clean", 200, 180, chance_facts=200, chance_agreeing=40),
        arrears("forger", 200, 40, chance_facts=200, chance_agreeing=40),
    ]
    clean, forger = estimate_reliability(
        [RegisteredSource("clean"), RegisteredSource("forger")], rows
    )
    assert forger.families[0].true_share == 0.0
    assert forger.estimate == pytest.approx(20 * 0.9 / (20 + 200))
    assert clean.families[0].true_share == 1.0  # the reference itself, above its lower bound
    assert clean.estimate == pytest.approx((18 + 200) / 220)


def test_without_evidence_the_estimate_is_the_declared_reliability() -> None:
    (quiet,) = estimate_reliability([RegisteredSource("quiet", reliability_declared=0.7)], [])
    assert quiet.estimate == pytest.approx(0.7)
    assert quiet.facts == 0
    assert quiet.spread == pytest.approx(math.sqrt(14 * 6 / (20 * 20 * 21)))


def test_upheld_disputes_count_as_false_records_and_rejected_as_true() -> None:
    upheld, rejected = estimate_reliability(
        [RegisteredSource("u", disputes_upheld=10), RegisteredSource("r", disputes_rejected=10)], []
    )
    assert upheld.estimate == pytest.approx(18 / 30)
    assert rejected.estimate == pytest.approx(28 / 30)
    assert upheld.evidence()["disputes_upheld"] == 10


def test_an_unchecked_category_keeps_the_prior_and_sets_the_weight() -> None:
    rows = [
        FamilyAgreement("social", "identity", "identity", 500, 400, 400),
        FamilyAgreement("bank", "identity", "identity", 500, 400, 400),
    ]
    source = RegisteredSource("social", frozenset({"identity", "network"}), 0.7, False, 0.7)
    (social,) = estimate_reliability([source], rows)
    by_category = {c.category: c for c in social.categories}
    assert by_category["identity"].estimate == pytest.approx((14 + 400) / 420)
    assert by_category["network"].estimate == pytest.approx(0.7)
    assert (social.estimate, social.set_by) == (pytest.approx(0.7), "network")


def test_the_lowest_category_sets_the_weight() -> None:
    rows = [
        FamilyAgreement("lender", "identity", "identity", 100, 100, 100),
        FamilyAgreement("other", "identity", "identity", 100, 100, 100),
        arrears("lender", 100, 0, chance_facts=100, chance_agreeing=0),
        arrears("other", 100, 100, chance_facts=100, chance_agreeing=0),
    ]
    source = RegisteredSource("lender", frozenset({"history", "identity"}))
    (lender,) = estimate_reliability([source], rows)
    assert lender.set_by == "history"
    assert lender.estimate == pytest.approx(18 / 120)
    assert (lender.facts, lender.agreeing) == (200, 100)


def test_a_family_without_signal_above_chance_tells_nothing() -> None:
    rows = [
        arrears("a", 100, 50, chance_facts=1000, chance_agreeing=500),
        arrears("b", 100, 52, chance_facts=1000, chance_agreeing=500),
    ]
    a, _ = estimate_reliability([RegisteredSource("a"), RegisteredSource("b")], rows)
    assert a.families[0].reference is None
    assert a.families[0].true_share is None
    assert (a.estimate, a.facts) == (pytest.approx(0.9), 0)


def test_a_pinned_source_is_estimated_but_reports_its_pin() -> None:
    (pinned,) = estimate_reliability(
        [RegisteredSource("p", reliability=0.5, reliability_pinned=True)], []
    )
    assert pinned.pinned
    assert pinned.current == 0.5
    assert pinned.estimate == pytest.approx(0.9)


def test_sources_are_estimated_in_the_order_given_and_evidence_is_plain_json() -> None:
    rows = [arrears("b", 50, 40), arrears("a", 50, 45)]
    estimates = estimate_reliability(
        [RegisteredSource("b"), RegisteredSource("a"), RegisteredSource("c")], rows
    )
    assert [e.source for e in estimates] == ["b", "a", "c"]
    document = estimates[0].to_json()
    assert set(document) >= {"source", "current", "estimate", "facts", "families", "categories"}
    assert document["families"][0]["family"] == "arrears"


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="agreeing <= facts"):
        arrears("a", 10, 11)
    with pytest.raises(InvalidInputError, match="chance_agreeing <= chance_facts"):
        arrears("a", 10, 5, chance_facts=3, chance_agreeing=4)
    with pytest.raises(InvalidInputError, match="strength must be > 0"):
        estimate_reliability([], [], strength=0)
    with pytest.raises(InvalidInputError, match="declared reliability must be in"):
        estimate_reliability([RegisteredSource("x", reliability_declared=0.0)], [])


counts = st.integers(min_value=0, max_value=500)


@st.composite
def evidence(draw: st.DrawFn) -> tuple[FamilyAgreement, RegisteredSource]:
    facts, chance_facts = draw(counts), draw(counts)
    row = arrears(
        "s",
        facts,
        draw(st.integers(0, facts)),
        chance_facts=chance_facts,
        chance_agreeing=draw(st.integers(0, chance_facts)),
    )
    source = RegisteredSource(
        "s",
        reliability_declared=draw(st.floats(0.01, 1.0)),
        disputes_upheld=draw(counts),
        disputes_rejected=draw(counts),
    )
    return row, source


@given(evidence())
def test_every_estimate_is_in_zero_one(drawn: tuple[FamilyAgreement, RegisteredSource]) -> None:
    row, source = drawn
    reference = arrears("ref", 100, 90, chance_facts=100, chance_agreeing=10)
    (estimate,) = estimate_reliability([source], [row, reference])
    assert 0.0 < estimate.estimate <= 1.0
