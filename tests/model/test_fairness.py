"""Fairness metrics against hand-computed values, scikit-learn, and properties."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from credo.errors import InvalidInputError
from credo.model.fairness import (
    UNKNOWN,
    FairnessAudit,
    auc_standard_error,
    audit_attribute,
    bin_values,
    threshold_for_share,
)

NAN = math.nan
# two groups of four; B's last person has no score (N/A) and so no outcome that counts
GROUPS = ["A"] * 4 + ["B"] * 4
SCORES = [700, 650, 550, 500, 680, 560, 540, NAN]
Y = [0, 0, 1, 0, 0, 1, 0, 1]
P_BAD = [0.05, 0.1, 0.3, 0.4, 0.05, 0.2, 0.25, 0.9]


def hand_audit(min_group: int = 4) -> FairnessAudit:
    return audit_attribute(
        "letter", GROUPS, SCORES, threshold=600, y=Y, p_bad=P_BAD, min_group=min_group
    )


def test_approval_rates_and_the_ratio_by_hand() -> None:
    audit = hand_audit()
    a, b = audit.groups
    assert (a.group, a.n, a.scored, a.approved, a.approval_rate) == ("A", 4, 4, 2, 0.5)
    assert (b.group, b.n, b.scored, b.approved, b.approval_rate) == ("B", 4, 3, 1, 0.25)
    assert b.na_rate == 0.25
    assert (a.impact_ratio, b.impact_ratio) == (1.0, 0.5)
    assert audit.adverse_impact_ratio == 0.5
    assert audit.verdict == "adverse impact"
    assert (audit.overall.n, audit.overall.approved, audit.overall.approval_rate) == (8, 3, 0.375)


def test_auc_per_group_by_hand() -> None:
    a, b = hand_audit().groups
    # A: goods 700, 650, 500 against the bad at 550: two of three pairs ordered right
    assert (a.outcomes, a.bads, a.bad_rate) == (4, 1, 0.25)
    assert a.auc == pytest.approx(2 / 3)
    # B: the N/A person is left out; goods 680 and 540 against the bad at 560
    assert (b.outcomes, b.bads) == (3, 1)
    assert b.auc == pytest.approx(0.5)
    assert math.isnan(hand_audit().auc_range)  # B has 3 outcomes: too few to judge at 4
    assert hand_audit(min_group=3).auc_range == pytest.approx(2 / 3 - 0.5)


def test_hanley_mcneil_standard_error_by_hand() -> None:
    # A = 2/3, 1 bad, 3 goods: Q1 = 1/2, Q2 = 8/15; variance = (2/9 + 2 (8/15 - 4/9)) / 3
    assert hand_audit().groups[0].auc_se == pytest.approx(math.sqrt(0.4 / 3))
    assert auc_standard_error(0.75, 2, 2) == pytest.approx(math.sqrt(0.30535714285714285 / 4))
    assert math.isnan(auc_standard_error(0.75, 0, 4))


def test_calibration_per_group_by_hand() -> None:
    a, b = hand_audit().groups
    assert a.mean_p_bad == pytest.approx(0.85 / 4)
    assert a.observed_to_expected == pytest.approx(1 / 0.85)
    assert a.calibration_z == pytest.approx(0.15 / math.sqrt(0.5875))
    assert b.mean_p_bad == pytest.approx(0.5 / 3)  # the N/A person's 0.9 does not count
    assert b.observed_to_expected == pytest.approx(2.0)
    counts = {row.band: (row.count, row.bads) for row in a.calibration}
    assert counts == {
        "poor": (1, 0),
        "fair": (1, 1),
        "good": (0, 0),
        "very good": (1, 0),
        "excellent": (1, 0),
    }


def test_small_and_unknown_groups_are_reported_but_not_judged() -> None:
    groups = ["A"] * 4 + ["B"] * 4 + [None, None]
    scores = [*SCORES, 900, 900]
    audit = audit_attribute("letter", groups, scores, threshold=600, min_group=4)
    unknown = audit.groups[-1]
    assert (unknown.group, unknown.n, unknown.approval_rate) == (UNKNOWN, 2, 1)
    assert not unknown.judged
    assert audit.adverse_impact_ratio == 0.5  # the unknown group's 100% is no reference
    small = hand_audit(min_group=5)
    assert [g.judged for g in small.groups] == [False, False]
    assert math.isnan(small.adverse_impact_ratio)
    assert small.verdict == "not judged"


def test_equal_approval_passes_and_nobody_approved_is_not_judged() -> None:
    audit = audit_attribute("x", ["a", "a", "b", "b"], [700, 500, 700, 500], threshold=600,
                            min_group=2)  # fmt: skip
    assert (audit.adverse_impact_ratio, audit.verdict) == (1.0, "pass")
    nobody = audit_attribute("x", ["a", "b"], [500, 500], threshold=600, min_group=1)
    assert nobody.verdict == "not judged"


def test_without_outcomes_only_approval_is_audited() -> None:
    audit = audit_attribute("letter", GROUPS, SCORES, threshold=600, min_group=4)
    a = audit.groups[0]
    assert a.outcomes == 0
    assert math.isnan(a.auc)
    assert math.isnan(a.mean_p_bad)
    assert a.calibration == ()


def test_group_order_follows_the_bins() -> None:
    labels, order = bin_values([19, 25, 39.5, 71, None, 40], [25, 40])
    assert labels == ["< 25", "[25, 40)", "[25, 40)", ">= 40", UNKNOWN, ">= 40"]
    audit = audit_attribute("age", labels, [600] * 6, threshold=600, order=order, min_group=1)
    assert [g.group for g in audit.groups] == ["< 25", "[25, 40)", ">= 40", UNKNOWN]


@pytest.mark.parametrize("edges", [[], [40, 25], [25, 25]])
def test_bin_edges_must_increase(edges: list[float]) -> None:
    with pytest.raises(InvalidInputError, match="bin edges must be increasing"):
        bin_values([30], edges)


def test_only_numbers_are_binned() -> None:
    with pytest.raises(InvalidInputError, match="only numbers can be cut into bins"):
        bin_values(["young"], [25])


def test_threshold_for_a_share_never_approves_more() -> None:
    assert threshold_for_share([400, 500, 600, 700], 0.5) == 600
    # ties at 600: approving 600 would approve three of four
    assert threshold_for_share([400, 600, 600, 700], 0.5) == 700
    assert threshold_for_share([400, NAN, 600, 700], 1.0) == 400
    everyone_equal = threshold_for_share([500, 500], 0.5)
    assert everyone_equal > 500
    with pytest.raises(InvalidInputError, match=r"approval share must be in \(0, 1\]"):
        threshold_for_share([500], 0)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="outcomes must be 0"):
        audit_attribute("x", ["a"], [500], threshold=600, y=[2])
    with pytest.raises(InvalidInputError, match="expected 2 group labels"):
        audit_attribute("x", ["a"], [500, 600], threshold=600)
    with pytest.raises(InvalidInputError, match="p_bad must hold probabilities"):
        audit_attribute("x", ["a"], [500], threshold=600, y=[0], p_bad=[1.5])


def test_the_document_round_trips_through_json() -> None:
    audit = hand_audit()
    text = json.dumps(audit.to_dict(), allow_nan=False)
    again = FairnessAudit.from_dict(json.loads(text))
    assert again.to_dict() == audit.to_dict()
    assert json.loads(text)["adverse_impact_ratio"] == 0.5
    with pytest.raises(InvalidInputError, match="not a fairness audit document"):
        FairnessAudit.from_dict({"attribute": "x"})


def test_group_auc_equals_scikit_learn_on_the_goods() -> None:
    rng = np.random.default_rng(11)
    n = 600
    groups = rng.choice(["a", "b", "c"], size=n)
    scores = np.round(rng.normal(600, 60, size=n))
    y = (rng.random(n) < 1 / (1 + np.exp((scores - 560) / 40))).astype(int)
    audit = audit_attribute("g", groups, scores, threshold=600, y=y)
    for group in audit.groups:
        inside = groups == group.group
        assert group.auc == pytest.approx(roc_auc_score(1 - y[inside], scores[inside]), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.integers(350, 950), st.just(NAN)), min_size=1, max_size=40),
    st.integers(350, 950),
)
def test_identical_groups_have_a_ratio_of_one(scores: list[float], threshold: int) -> None:
    audit = audit_attribute(
        "twin", ["x"] * len(scores) + ["y"] * len(scores), scores * 2, threshold=threshold,
        min_group=1,
    )  # fmt: skip
    if audit.overall.approved:
        assert audit.adverse_impact_ratio == 1.0
    else:
        assert audit.verdict == "not judged"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcd"), st.integers(350, 950)), min_size=2, max_size=60),
    st.permutations("abcd"),
)
def test_the_ratio_ignores_the_names_of_groups(
    rows: list[tuple[str, int]], renamed: list[str]
) -> None:
    groups = [g for g, _ in rows]
    scores = [s for _, s in rows]
    rename = dict(zip("abcd", renamed, strict=True))
    first = audit_attribute("g", groups, scores, threshold=600, min_group=1)
    second = audit_attribute("g", [rename[g] for g in groups], scores, threshold=600, min_group=1)
    ratio, again = first.adverse_impact_ratio, second.adverse_impact_ratio
    assert (math.isnan(ratio) and math.isnan(again)) or ratio == again
    if not math.isnan(ratio):
        assert 0.0 <= ratio <= 1.0
