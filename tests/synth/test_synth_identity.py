"""Identifiers and counter-based draws: valid, unique by construction, reproducible."""

from __future__ import annotations

import re
from statistics import NormalDist

import numpy as np
import pytest

import credo.synth
from credo.synth.calendar import Calendar
from credo.synth.draws import AffinePermutation, norm_ppf, uniform
from credo.synth.identity import ID_SPACE, PHONE_SPACE, is_valid_national_id
from credo.synth.people import World, identifiers, statics


def test_public_api_is_what_all_says():
    assert sorted(credo.synth.__all__) == ["SynthSummary", "generate_population"]
    for name in credo.synth.__all__:
        assert hasattr(credo.synth, name)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),
        ("11010519491231002", False),
        ("1101051949123100XX", False),
    ],
)
def test_check_digit_follows_iso_7064_mod_11_2(value, valid):
    assert is_valid_national_id(value) is valid


def test_national_ids_and_phones_are_valid_and_unique():
    world = World.create(seed=4, subjects=200_000, calendar=Calendar.ending("2026-10", 24))
    index = np.arange(200_000, dtype=np.int64)
    ids, phones = identifiers(world, index, statics(world, index).z)
    ids, phones = ids.to_pylist(), phones.to_pylist()
    assert len(set(ids)) == len(ids)
    assert len(set(phones)) == len(phones)
    assert all(is_valid_national_id(v) for v in ids[:5000])
    assert all(re.fullmatch(r"\+86 1\d\d \d{4} \d{4}", p) for p in phones[:5000])
    birth_years = {int(v[6:10]) for v in ids}
    assert min(birth_years) >= 1946
    assert max(birth_years) <= 2008


def test_identifiers_depend_only_on_seed_and_index():
    calendar = Calendar.ending("2026-10", 24)
    world = World.create(seed=9, subjects=1000, calendar=calendar)
    index = np.array([3, 500, 999], dtype=np.int64)
    whole = identifiers(world, np.arange(1000, dtype=np.int64), statics(world, np.arange(1000)).z)
    alone = identifiers(world, index, statics(world, index).z)
    assert whole[0].take(index).to_pylist() == alone[0].to_pylist()
    other = World.create(seed=10, subjects=1000, calendar=calendar)
    assert identifiers(other, index, statics(other, index).z)[0] != alone[0]


@pytest.mark.parametrize("n", [1, 7, 1000, 3_000_001, ID_SPACE, PHONE_SPACE])
def test_affine_permutation_is_a_bijection(n):
    perm = AffinePermutation(n, seed=1, stream=2)
    index = np.unique(np.linspace(0, n - 1, num=min(n, 10_000)).astype(np.int64))
    image = perm.forward(index)
    assert ((image >= 0) & (image < n)).all()
    assert len(np.unique(image)) == len(index)
    assert (perm.inverse(image) == index).all()


def test_latent_scores_are_standard_normal():
    world = World.create(seed=2, subjects=50_000, calendar=Calendar.ending("2026-10", 12))
    z = statics(world, np.arange(50_000, dtype=np.int64)).z
    assert abs(z.mean()) < 0.01
    assert abs(z.std() - 1.0) < 0.01


def test_norm_ppf_matches_the_standard_library():
    p = np.array([1e-9, 0.001, 0.02425, 0.3, 0.5, 0.9, 0.99999])
    expected = [NormalDist().inv_cdf(v) for v in p]
    assert np.allclose(norm_ppf(p), expected, rtol=1e-8, atol=1e-8)


def test_uniform_draws_are_reproducible_and_independent_per_stream():
    index = np.arange(100_000, dtype=np.int64)
    first = uniform(5, index, 1)
    assert (first == uniform(5, index, 1)).all()
    assert ((first >= 0) & (first < 1)).all()
    assert abs(first.mean() - 0.5) < 0.01
    assert abs(np.corrcoef(first, uniform(5, index, 2))[0, 1]) < 0.01


def test_calendar_refuses_a_bad_month():
    from credo.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="YYYY-MM"):
        Calendar.ending("2026-00", 3)
    assert Calendar.ending("2026-02", 3).labels() == ["2025-12", "2026-01", "2026-02"]
