"""Bands, published integer scores and percentile ranks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.scoring.bands import band_of, next_band_floor, percentile_rank, publish_score
from credo.settings import DEFAULT_BANDS, ScoringSettings


def test_default_bands_follow_zhima() -> None:
    scores = [350, 549, 550, 599, 600, 649, 650, 699, 700, 949, 950]
    assert band_of(scores, DEFAULT_BANDS).tolist() == [
        "poor", "poor", "fair", "fair", "good", "good", "very good", "very good",
        "excellent", "excellent", "excellent",
    ]  # fmt: skip


def test_next_band_floor() -> None:
    assert next_band_floor([350, 599, 600, 700], DEFAULT_BANDS).tolist() == [
        550.0, 600.0, 650.0, np.inf,
    ]  # fmt: skip


def test_scores_round_half_up() -> None:
    assert publish_score([599.5, 599.49, 350.0, 950.0]).tolist() == [600, 599, 350, 950]


def test_percentile_is_the_share_strictly_below() -> None:
    assert percentile_rank([500, 600, 600, 700]).tolist() == [0.0, 25.0, 25.0, 75.0]
    assert percentile_rank([]).tolist() == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(350, 950), min_size=1, max_size=60))
def test_percentile_against_counting(scores: list[int]) -> None:
    got = percentile_rank(scores)
    for value, rank in zip(scores, got, strict=True):
        assert rank == pytest.approx(100 * sum(s < value for s in scores) / len(scores))


def test_bands_must_be_contiguous() -> None:
    bands = [b.model_dump() for b in DEFAULT_BANDS]
    bands[1]["low"] = 560
    with pytest.raises(ValueError, match="not contiguous"):
        ScoringSettings(bands=bands)
    with pytest.raises(ValueError, match="cover 350-950"):
        ScoringSettings(bands=[{"name": "all", "low": 300, "high": 950}])


def test_partners_add_their_own_privileges(tmp_path: Path) -> None:
    from credo.errors import InvalidInputError
    from credo.loyalty.catalogue import privileges_catalogue

    own = tmp_path / "bikes.toml"
    own.write_text(
        '[privileges.free_helmet]\nname = "Free helmet"\ncategory = "rental"\n'
        'rule = "score >= 620"\nbenefit = "A helmet with every ride"\n'
    )
    catalogue = privileges_catalogue(ScoringSettings(partner_privileges={"bikeco": own}))
    assert catalogue["free_helmet"].partner == "bikeco"
    assert "deposit_free_bike" in catalogue
    grab = tmp_path / "grab.toml"
    grab.write_text(own.read_text().replace("free_helmet", "deposit_free_bike"))
    with pytest.raises(InvalidInputError, match="may not override privilege 'deposit_free_bike'"):
        privileges_catalogue(ScoringSettings(partner_privileges={"bikeco": grab}))
