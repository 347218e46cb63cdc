"""Points-to-double-odds scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.errors import InvalidInputError
from credo.model import Scaling


def test_factor_and_offset_follow_the_textbook_formulas() -> None:
    s = Scaling(pdo=20.0, base_score=600.0, base_odds=50.0)
    assert s.factor == pytest.approx(20.0 / math.log(2.0), rel=1e-15)
    assert s.offset == pytest.approx(600.0 - s.factor * math.log(50.0), rel=1e-15)


def test_base_odds_give_the_base_score_and_doubling_adds_pdo() -> None:
    s = Scaling()
    assert float(s.to_score(math.log(20.0))) == pytest.approx(600.0, abs=1e-9)
    assert float(s.to_score(math.log(40.0))) == pytest.approx(650.0, abs=1e-9)
    assert float(s.to_score(math.log(10.0))) == pytest.approx(550.0, abs=1e-9)


def test_scores_are_clipped_unless_asked_not_to() -> None:
    s = Scaling(score_min=350.0, score_max=950.0)
    assert s.to_score([-50.0, 50.0]).tolist() == [350.0, 950.0]
    raw = s.to_score([-50.0], clip=False)
    assert raw[0] < 350.0


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=-30.0, max_value=30.0))
def test_to_log_odds_inverts_the_unclipped_score(log_odds: float) -> None:
    s = Scaling()
    back = s.to_log_odds(s.to_score(log_odds, clip=False))
    assert float(back) == pytest.approx(log_odds, rel=1e-9, abs=1e-9)


def test_clip_keeps_nan() -> None:
    assert np.isnan(Scaling().clip([np.nan])[0])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pdo": 0.0}, "pdo must be positive"),
        ({"base_odds": -1.0}, "base_odds must be positive"),
        ({"score_min": 900.0, "score_max": 400.0}, "score_min must be below score_max"),
        ({"base_score": math.nan}, "must be finite"),
    ],
)
def test_invalid_scaling_is_refused(fields: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Scaling(**fields)
