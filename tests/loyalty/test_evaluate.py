"""A person's privileges: held, just out of reach with what is missing, and the facts' checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from credo.errors import InvalidInputError
from credo.loyalty import (
    Facts,
    Gap,
    default_catalogue,
    evaluate_privileges,
    is_near,
    loads_catalogue,
)

CUSTOM = """
[privileges.{key}]
name = "A privilege"
category = "lifestyle"
rule = '{rule}'
benefit = "Something nice"
"""


def status_of(rule: str, facts: Facts, reach_points: int = 50) -> tuple[bool, list[str] | None]:
    """(held, the shortfalls when just out of reach else None) for one custom rule."""
    catalogue = loads_catalogue(CUSTOM.format(key="p", rule=rule))
    status = evaluate_privileges(catalogue, facts, reach_points=reach_points)
    reach = {r.key: [g.shortfall for g in r.gaps] for r in status.within_reach}
    return "p" in status.held, reach.get("p")


def test_the_issue_person_holds_some_and_sees_what_is_missing() -> None:
    facts = Facts(score=612, band="good", defaults_24m=0, worst_dpd_12m=0, identity_verified=True)
    status = evaluate_privileges(default_catalogue(), facts)
    assert status.held[:4] == (
        "credit_library",
        "deposit_free_power_bank",
        "credit_stay_hotel",
        "verified_dating_badge",
    )
    reach = {r.key: [g.shortfall for g in r.gaps] for r in status.within_reach}
    assert reach["deposit_free_bike"] == ["38 points short"]
    assert reach["pay_after_treatment"] == ["38 points short"]
    assert "deposit_free_device_rental" not in reach  # 88 points short
    assert "deposit_free_apartment" not in reach  # no score history yet
    assert not set(status.held) & set(reach)


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        ("score >= 650", Facts(score=600), (False, ["50 points short"])),
        ("score >= 650", Facts(score=599), (False, None)),
        ("score >= 650", Facts(score=650), (True, None)),
        ("score >= 650", Facts(), (False, None)),
        (
            "score >= 650 and identity_verified",
            Facts(score=640),
            (False, ["10 points short", "identity not verified"]),
        ),
        ("identity_verified", Facts(), (False, ["identity not verified"])),
        ("not identity_verified", Facts(identity_verified=True), (False, None)),
        ("score >= 650 and defaults_24m == 0", Facts(score=640, defaults_24m=1), (False, None)),
        ("score >= 650 and defaults_24m == 0", Facts(score=640), (False, None)),
        ("months_scored >= 6", Facts(months_scored=5), (False, None)),
        ("worst_dpd_12m <= 30", Facts(worst_dpd_12m=31), (False, None)),
        ("score_trend_3m >= 0", Facts(score_trend_3m=-1), (False, None)),
        ("score <= 600", Facts(score=610), (False, None)),
        ("score == 600", Facts(score=590), (False, None)),
        ("dim.capacity >= 60", Facts(dims={"capacity": 50}), (False, ["10 points short"])),
        ("dim.capacity >= 60", Facts(dims={"capacity": 49.5}), (False, None)),
        ("percentile >= 80", Facts(percentile=75), (False, ["5 percentile points short"])),
        ("percentile >= 80", Facts(percentile=74.9), (False, None)),
        ('band >= "good"', Facts(band="fair"), (False, ["1 band short"])),
        ('band >= "good"', Facts(band="poor"), (False, None)),
        (
            "score >= 700 or (dim.capacity >= 60 and identity_verified)",
            Facts(score=600, dims={"capacity": 55}),
            (False, None),  # the cheapest branch (one gap) is 100 points short
        ),
    ],
)
def test_just_out_of_reach_means_every_gap_is_near(
    rule: str, facts: Facts, expected: tuple[bool, list[str] | None]
) -> None:
    assert status_of(rule, facts) == expected


def test_reach_points_sets_how_far_a_score_may_be() -> None:
    assert status_of("score >= 650", Facts(score=630), reach_points=20) == (
        False,
        ["20 points short"],
    )
    assert status_of("score >= 650", Facts(score=629), reach_points=20) == (False, None)
    assert status_of("score >= 650", Facts(score=649), reach_points=0) == (False, None)


def test_negative_reach_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="reach_points must be ≥ 0, got -1"):
        evaluate_privileges(default_catalogue(), Facts(), reach_points=-1)


def test_an_unscored_person_holds_nothing_and_reaches_nothing() -> None:
    status = evaluate_privileges(default_catalogue(), Facts())
    assert status.held == ()
    assert status.within_reach == ()


@pytest.mark.parametrize(
    ("gap", "near"),
    [
        (Gap("score", ">=", 650, 600, 50, "a"), True),
        (Gap("score", ">", 650, 600, 51, "a"), False),
        (Gap("score", ">=", 650, None, None, "a"), False),
        (Gap("score", "<=", 650, 660, 10, "a"), False),
        (Gap("identity_verified", "==", True, False, None, "a"), True),
        (Gap("identity_verified", "==", True, None, None, "a"), False),
        (Gap("identity_verified", "==", False, True, None, "a"), False),
        (Gap("months_scored", ">=", 6, 5, 1, "a"), False),
        (Gap("dim.history", ">=", 60, 50, 10, "a"), True),
        (Gap("band", ">=", "good", "fair", 1, "a"), True),
    ],
)
def test_is_near(gap: Gap, near: bool) -> None:
    assert is_near(gap) is near


def test_the_status_is_json_serialisable() -> None:
    facts = Facts(
        score=np.int64(640),  # type: ignore[arg-type]
        band="good",
        dims={"capacity": np.float64(45.0), "history": math.nan},
        defaults_24m=0,
        worst_dpd_12m=0.0,
    )
    status = evaluate_privileges(default_catalogue(), facts)
    payload = json.loads(json.dumps(status.to_dict(), allow_nan=False))
    assert payload["held"] == list(status.held)
    first = payload["within_reach"][0]
    assert set(first) == {"privilege", "missing"}
    assert set(first["missing"][0]) == {
        "fact",
        "expression",
        "atom",
        "required",
        "current",
        "distance",
        "shortfall",
    }
    bike = next(r for r in payload["within_reach"] if r["privilege"] == "deposit_free_bike")
    assert bike["missing"] == [
        {
            "fact": "score",
            "expression": "score >= 650",
            "atom": "score of at least 650",
            "required": 650,
            "current": 640,
            "distance": 10,
            "shortfall": "10 points short",
        }
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"score": 1000}, "score must be an integer in 350..950"),
        ({"score": 600.0}, "score must be an integer"),
        ({"score": True}, "score must be an integer"),
        ({"band": "great"}, "band must be one of poor, fair, good, very good, excellent"),
        ({"percentile": 101.0}, "percentile must be in 0..100"),
        ({"dims": {"wealth": 50.0}}, r"dims has unknown dimensions \['wealth'\]"),
        ({"dims": {"history": -1.0}}, "every dimension score must be in 0..100"),
        ({"months_scored": -1}, "months_scored must be a non-negative integer"),
        ({"defaults_24m": -2}, "defaults_24m must be a non-negative integer"),
        ({"worst_dpd_12m": -3.0}, "worst_dpd_12m must be a non-negative number"),
        ({"identity_verified": 1}, "identity_verified must be True or False"),
        ({"score_trend_3m": "up"}, "score_trend_3m must be a number"),
    ],
)
def test_facts_out_of_range_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^facts: {message}"):
        Facts(**fields)  # type: ignore[arg-type]


def test_a_refused_fact_is_named_but_its_value_is_not_echoed() -> None:
    for fields, value in [({"score": 1000}, "1000"), ({"percentile": 101.5}, "101.5")]:
        with pytest.raises(InvalidInputError) as caught:
            Facts(**fields)  # type: ignore[arg-type]
        assert value not in str(caught.value)


def test_numpy_integers_become_plain_ints() -> None:
    facts = Facts(score=np.int64(640), months_scored=np.int32(7), defaults_24m=np.int64(0))  # type: ignore[arg-type]
    assert (type(facts.score), type(facts.months_scored), type(facts.defaults_24m)) == (int,) * 3
