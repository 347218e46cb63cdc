"""The rule language: parsing (precedence, errors with columns), fail-closed evaluation, gaps."""

from __future__ import annotations

import math
import operator

import pytest

from credo.errors import InvalidInputError
from credo.loyalty.facts import Facts
from credo.loyalty.nodes import AllOf, AnyOf, Comparison, Flag
from credo.loyalty.rules import parse_rule

OPS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
BAND_ORDER = ["poor", "fair", "good", "very good", "excellent"]


# -- parsing ----------------------------------------------------------------------------------


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    rule = parse_rule("identity_verified or not identity_verified and score >= 600")
    assert rule.root == AnyOf(
        (Flag("identity_verified"), AllOf((Flag("identity_verified", False), _score(">=", 600))))
    )


def test_parentheses_override_precedence() -> None:
    rule = parse_rule("(identity_verified or score >= 700) and defaults_24m == 0")
    assert rule.root == AllOf(
        (
            AnyOf((Flag("identity_verified"), _score(">=", 700))),
            Comparison("defaults_24m", "==", 0),
        )
    )


def test_not_is_pushed_down_to_the_atoms_by_de_morgan() -> None:
    rule = parse_rule('not (score >= 600 or band == "good") and not not identity_verified')
    assert rule.root == AllOf(
        (_score("<", 600), Comparison("band", "!=", "good"), Flag("identity_verified"))
    )


def test_chains_of_the_same_connective_are_flattened() -> None:
    rule = parse_rule("(score > 400 and score > 500) and score > 600")
    assert rule.root == AllOf((_score(">", 400), _score(">", 500), _score(">", 600)))


def test_rule_renders_back_to_an_equivalent_text() -> None:
    text = '(band >= "good" or dim.history > 60.5) and not identity_verified'
    rule = parse_rule(text)
    assert str(rule) == '(band >= "good" or dim.history > 60.5) and not identity_verified'
    assert parse_rule(str(rule)).root == rule.root
    assert rule.names == {"band", "dim.history", "identity_verified"}


def test_single_quoted_strings_and_negative_numbers_are_literals() -> None:
    rule = parse_rule("band == 'very good' and score_trend_3m >= -15.5")
    assert rule.atoms == (
        Comparison("band", "==", "very good"),
        Comparison("score_trend_3m", ">=", -15.5),
    )


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("score", [599, 600, 601])
def test_every_operator_compares_the_score(op: str, score: int) -> None:
    rule = parse_rule(f"score {op} 600")
    assert rule.evaluate(Facts(score=score)) is OPS[op](score, 600)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("band", BAND_ORDER)
def test_band_compares_by_band_order(op: str, band: str) -> None:
    rule = parse_rule(f'band {op} "good"')
    expected = OPS[op](BAND_ORDER.index(band), BAND_ORDER.index("good"))
    assert rule.evaluate(Facts(band=band)) is expected


def test_band_order_is_not_alphabetical() -> None:
    # alphabetically "excellent" < "good"; by band order it is better
    assert parse_rule('band >= "good"').evaluate(Facts(band="excellent"))
    assert not parse_rule('band >= "good"').evaluate(Facts(band="fair"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scor >= 600", r"unknown name 'scor' \(known names: score, band, .*\) at column 1"),
        ("score >= 600 and dim.histroy >= 5", r"unknown name 'dim.histroy'.* at column 18"),
        (
            "score >= 600 & identity_verified",
            r"unexpected character '&' \(use 'and'\) at column 14",
        ),
        ("score = 600", r"unexpected character '=' \(use '==' to compare\) at column 7"),
        ("score >= 600 600", r"unexpected '600' after a complete rule at column 14"),
        ("score >= 600 identity_verified", r"unexpected 'identity_verified' after .* column 14"),
        ("", r"the rule is empty at column 1"),
        ("   ", r"the rule is empty at column 1"),
        ("(score >= 600", r"missing '\)' to close the '\(' at column 1, got 'the end.*column 14"),
        ("((score >= 600)", r"missing '\)' to close the '\(' at column 1.* at column 16"),
        ("score >= 600)", r"unexpected '\)' with no '\(' to close at column 13"),
        ("()", r"expected a fact name, 'not' or '\(', got '\)' at column 2"),
        ("score >= 600 and", r"expected a fact name.*got 'the end of the rule' at column 17"),
        ("and score >= 600", r"expected a fact name, 'not' or '\(', got 'and' at column 1"),
        ("score 600", r"expected an operator \(>= > <= < == !=\) after 'score', got '600' at col"),
        ("score >=", r"score compares with a number, got 'the end of the rule' at column 9"),
        ("score >= 'good'", r"score compares with a number, got \"'good'\" at column 10"),
        ("band >= 3", r"band compares with a quoted band name \(poor, .*\), got '3' at column 9"),
        ('band >= "grate"', r'unknown band "grate" \(in order: poor, fair, good, very good, exc'),
        ('band >= "good', r"unterminated string '\"good' at column 9"),
        ("score >= 6500", r"6500 is outside the range of score \(350..950\) at column 10"),
        ("dim.history >= 101", r"outside the range of dim.history \(0..100\)"),
        ("defaults_24m >= -1", r"outside the range of defaults_24m"),
        ("identity_verified == 1", r"identity_verified is a yes/no fact .* at column 19"),
        ("score >= 600o", r"unexpected 'o' after a complete rule at column 13"),
        ("scor >= 600 & x", r"unknown name 'scor'.* at column 1$"),
        ("score >= 650.5.3", r"unexpected character '.' at column 15"),
        ("SCORE >= 600", r"unknown name 'SCORE'"),
        ("score >= 600 AND identity_verified", r"unexpected 'AND' after a complete rule"),
    ],
)
def test_bad_rules_are_refused_with_the_column(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_rule(text)


def test_errors_name_where_the_rule_comes_from() -> None:
    with pytest.raises(
        InvalidInputError, match=r"^partners.toml: privilege 'x': rule 'scor > 1': unknown name"
    ):
        parse_rule("scor > 1", where="partners.toml: privilege 'x'")


def test_deep_nesting_and_long_rules_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="nesting deeper than 32"):
        parse_rule("not " * 40 + "identity_verified")
    with pytest.raises(InvalidInputError, match="nesting deeper than 32"):
        parse_rule("(" * 40 + "identity_verified" + ")" * 40)
    with pytest.raises(InvalidInputError, match="longer than 2000 characters"):
        parse_rule(" or ".join(["identity_verified"] * 200))


def test_python_is_never_evaluated() -> None:
    with pytest.raises(InvalidInputError, match="unknown name '__import__'"):
        parse_rule("__import__('os').system('true')")


# -- evaluation -------------------------------------------------------------------------------

ISSUE_RULES = {
    "deposit_free_power_bank": "score >= 600",
    "deposit_free_bike": "score >= 650 and defaults_24m == 0",
    "deposit_free_device_rental": "score >= 700",
    "visa_document_waiver": "score >= 700 and identity_verified",
}


@pytest.mark.parametrize(
    ("score", "defaults", "verified", "held"),
    [
        (599, 0, True, set()),
        (600, 0, True, {"deposit_free_power_bank"}),
        (650, 0, False, {"deposit_free_power_bank", "deposit_free_bike"}),
        (650, 1, True, {"deposit_free_power_bank"}),
        (
            700,
            0,
            False,
            {"deposit_free_power_bank", "deposit_free_bike", "deposit_free_device_rental"},
        ),
        (700, 0, True, set(ISSUE_RULES)),
        (950, 2, True, set(ISSUE_RULES) - {"deposit_free_bike"}),
    ],
)
def test_truth_table_of_the_issue_examples(
    score: int, defaults: int, verified: bool, held: set[str]
) -> None:
    facts = Facts(score=score, defaults_24m=defaults, identity_verified=verified)
    assert {k for k, text in ISSUE_RULES.items() if parse_rule(text).evaluate(facts)} == held


@pytest.mark.parametrize(
    "text",
    [
        "score >= 600",
        "score < 600",
        "score != 600",
        "not score >= 600",
        'band != "good"',
        'not band == "good"',
        "dim.history >= 0",
        "dim.history < 100",
        "defaults_24m == 0",
        "not defaults_24m > 0",
        "worst_dpd_12m <= 30",
        "percentile >= 0",
        "percentile != 50",
        "score_trend_3m > -600",
        "not (score >= 600 or dim.network >= 50)",
    ],
)
def test_unknown_facts_fail_closed_whatever_the_operator(text: str) -> None:
    unknown = Facts(percentile=math.nan, dims={"history": None, "network": math.nan})
    rule = parse_rule(text)
    assert not rule.evaluate(unknown)
    gaps = rule.missing(unknown)
    assert gaps
    assert all(g.unknown and g.distance is None and g.shortfall.endswith("unknown") for g in gaps)


def test_a_known_fact_makes_the_same_atoms_hold() -> None:
    known = Facts(score=500, band="fair", dims={"history": 10}, defaults_24m=0, worst_dpd_12m=0)
    for text in ["score < 600", 'band != "good"', "dim.history < 100", "defaults_24m == 0"]:
        assert parse_rule(text).evaluate(known), text


# -- gaps -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        ("score >= 650", Facts(score=612), "score of at least 650", 612, 38, "38 points short"),
        ("score > 650", Facts(score=650), "score above 650", 650, 1, "1 point short"),
        (
            "score <= 650",
            Facts(score=700),
            "score of at most 650",
            700,
            50,
            "50 points over the limit",
        ),
        ("score == 650", Facts(score=640), "score of exactly 650", 640, 10, "10 points short"),
        ("score != 650", Facts(score=650), "score other than 650", 650, None, "currently 650"),
        (
            "dim.history >= 70",
            Facts(dims={"history": 61.3}),
            "history dimension score of at least 70",
            61.3,
            8.7,
            "8.7 points short",
        ),
        (
            "dim.history > 70",
            Facts(dims={"history": 70.0}),
            "history dimension score above 70",
            70.0,
            0,
            "at 70, must pass it",
        ),
        (
            "defaults_24m == 0",
            Facts(defaults_24m=2),
            "no default or collection in the last 24 months",
            2,
            2,
            "2 defaults or collections over the limit",
        ),
        (
            "defaults_24m <= 1",
            Facts(defaults_24m=2),
            "at most 1 default or collection in the last 24 months",
            2,
            1,
            "1 default or collection over the limit",
        ),
        (
            "worst_dpd_12m <= 30",
            Facts(worst_dpd_12m=45),
            "no payment more than 30 days late in the last 12 months",
            45,
            15,
            "15 days over the limit",
        ),
        (
            "worst_dpd_12m <= 0",
            Facts(worst_dpd_12m=3),
            "no late payment in the last 12 months",
            3,
            3,
            "3 days over the limit",
        ),
        (
            "months_scored >= 6",
            Facts(months_scored=1),
            "at least 6 months of score history",
            1,
            5,
            "5 months short",
        ),
        (
            'band >= "very good"',
            Facts(band="fair"),
            "band very good or better",
            "fair",
            2,
            "2 bands short",
        ),
        (
            'band == "good"',
            Facts(band="excellent"),
            "band good",
            "excellent",
            2,
            "2 bands over the limit",
        ),
        ("identity_verified", Facts(), "identity verified", False, None, "identity not verified"),
        (
            "not identity_verified",
            Facts(identity_verified=True),
            "identity not verified",
            True,
            None,
            "identity verified",
        ),
        (
            "percentile >= 80",
            Facts(percentile=76.5),
            "percentile of at least 80",
            76.5,
            3.5,
            "3.5 percentile points short",
        ),
        (
            "score_trend_3m >= 0",
            Facts(score_trend_3m=-12),
            "score not falling over the last 3 months",
            -12,
            12,
            "12 points short",
        ),
        ("score >= 650", Facts(), "score of at least 650", None, None, "score unknown"),
        (
            "dim.capacity >= 50",
            Facts(),
            "capacity dimension score of at least 50",
            None,
            None,
            "capacity dimension score unknown",
        ),
    ],
)
def test_a_gap_says_what_is_missing_and_how_far(
    case: tuple[str, Facts, str, object, float | None, str],
) -> None:
    text, facts, atom, current, distance, shortfall = case
    (gap,) = parse_rule(text).missing(facts)
    assert (gap.atom, gap.current, gap.distance, gap.shortfall) == (
        atom,
        current,
        distance,
        shortfall,
    )
    assert parse_rule(gap.expression).root == parse_rule(text).root
    assert gap.to_dict()["shortfall"] == shortfall


def test_and_lists_every_unmet_atom_in_order() -> None:
    rule = parse_rule("score >= 650 and identity_verified and defaults_24m == 0 and score >= 600")
    gaps = rule.missing(Facts(score=612, defaults_24m=0))
    assert [g.expression for g in gaps] == ["score >= 650", "identity_verified"]


def test_or_reports_the_branch_with_the_fewest_gaps_even_if_farther() -> None:
    rule = parse_rule("score >= 900 or (dim.history >= 50 and dim.capacity >= 50)")
    gaps = rule.missing(Facts(score=600, dims={"history": 49, "capacity": 49}))
    assert [g.expression for g in gaps] == ["score >= 900"]


def test_or_breaks_a_tie_on_count_by_the_smallest_normalised_distance() -> None:
    rule = parse_rule("dim.history >= 80 or score >= 700 or dim.capacity >= 60")
    facts = Facts(score=640, dims={"history": 70, "capacity": 55})
    # 10/100 and 60/600 = 0.1 each, 5/100 = 0.05
    assert [g.expression for g in rule.missing(facts)] == ["dim.capacity >= 60"]


def test_or_prefers_a_measurable_gap_to_an_unknown_fact() -> None:
    rule = parse_rule("score_trend_3m >= 20 or dim.capacity >= 50")
    facts = Facts(dims={"capacity": 45})
    assert [g.expression for g in rule.missing(facts)] == ["dim.capacity >= 50"]


def test_or_keeps_the_first_branch_on_an_exact_tie() -> None:
    rule = parse_rule("dim.history >= 60 or dim.capacity >= 60")
    facts = Facts(dims={"history": 50, "capacity": 50})
    assert [g.expression for g in rule.missing(facts)] == ["dim.history >= 60"]


def test_a_met_or_has_no_gaps_even_when_other_branches_fail() -> None:
    rule = parse_rule("score >= 900 or identity_verified")
    assert rule.missing(Facts(score=400, identity_verified=True)) == []


def _score(op: str, value: int) -> Comparison:
    return Comparison("score", op, value)
