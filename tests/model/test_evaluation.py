"""Evaluation metrics against scikit-learn, SciPy and hand-computed reference values."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from credo.errors import InvalidInputError
from credo.model.evaluation import (
    DEFAULT_BANDS,
    Band,
    auc,
    brier,
    calibration_by_band,
    evaluate,
    gini,
    ks,
    ks_curve,
    roc_curve_points,
    score_distribution,
)
from credo.model.stability import (
    PSI_EPSILON,
    psi,
    psi_categorical,
    psi_from_shares,
    psi_table,
    quantile_edges,
    stability_verdict,
)


def sample(n: int = 2_000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes, P(bad) with ties (rounded to 2 decimals) and scores falling as risk rises."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(latent * 1.5 - 1.5)))).astype(int)
    p_bad = np.round(1 / (1 + np.exp(-(latent - 1.4))), 2)
    scores = np.clip(np.round(600 - 50 * np.log2(p_bad / (1 - p_bad) / 0.1)), 350, 950)
    return y, p_bad, scores


def test_auc_equals_scikit_learn_with_ties() -> None:
    y, p_bad, _ = sample()
    assert auc(y, p_bad) == pytest.approx(roc_auc_score(y, p_bad), abs=1e-12)


def test_gini_is_twice_auc_minus_one() -> None:
    y, p_bad, _ = sample()
    assert gini(y, p_bad) == pytest.approx(2 * roc_auc_score(y, p_bad) - 1, abs=1e-12)


def test_ks_equals_two_sample_kolmogorov_smirnov() -> None:
    y, p_bad, _ = sample()
    expected = ks_2samp(p_bad[y == 1], p_bad[y == 0]).statistic
    assert ks(y, p_bad) == pytest.approx(expected, abs=1e-12)


def test_ks_of_a_perfect_and_a_useless_model() -> None:
    assert ks([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ks([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.0


def test_brier_equals_scikit_learn() -> None:
    y, p_bad, _ = sample()
    assert brier(y, p_bad) == pytest.approx(brier_score_loss(y, p_bad), abs=1e-12)


def test_metrics_need_both_outcomes() -> None:
    with pytest.raises(InvalidInputError, match="at least one good and one bad"):
        auc([0, 0, 0], [0.1, 0.2, 0.3])


def test_outcomes_must_be_zero_or_one() -> None:
    with pytest.raises(InvalidInputError, match=r"only 0 \(good\) and 1 \(bad\); got 2"):
        auc([0, 1, 2], [0.1, 0.2, 0.3])


def test_probabilities_must_be_in_unit_interval() -> None:
    with pytest.raises(InvalidInputError, match="p_bad must hold finite probabilities"):
        brier([0, 1], [0.5, 1.5])


def test_lengths_must_agree() -> None:
    with pytest.raises(InvalidInputError, match="length 3"):
        auc([0, 1, 0], [0.5, 0.4])


def test_roc_points_lie_on_scikit_learns_curve_and_are_thinned() -> None:
    y, p_bad, _ = sample(n=5_000)
    p_bad = p_bad + np.random.default_rng(0).uniform(0, 1e-6, p_bad.size)  # many thresholds
    fpr, tpr = roc_curve_points(y, p_bad)
    ref_fpr, ref_tpr, _ = roc_curve(y, p_bad, drop_intermediate=False)
    assert len(fpr) <= 200
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0)
    assert np.all(np.diff(tpr) >= 0)
    reference = set(zip(np.round(ref_fpr, 12), np.round(ref_tpr, 12), strict=True))
    assert all(
        point in reference for point in zip(np.round(fpr, 12), np.round(tpr, 12), strict=True)
    )


def test_ks_curve_keeps_the_point_of_maximum_separation() -> None:
    y, p_bad, scores = sample(n=5_000)
    scores = scores + np.random.default_rng(1).uniform(0, 0.5, scores.size)
    thresholds, cum_bad, cum_good = ks_curve(y, scores, max_points=50)
    assert len(thresholds) <= 50
    assert np.all(np.diff(thresholds) > 0)
    assert np.max(np.abs(cum_bad - cum_good)) == pytest.approx(ks(y, p_bad), abs=0.02)
    assert np.max(np.abs(cum_bad - cum_good)) == pytest.approx(
        ks_2samp(scores[y == 1], scores[y == 0]).statistic, abs=1e-12
    )


def test_ks_curve_leaves_out_unscored_rows() -> None:
    thresholds, cum_bad, _ = ks_curve([0, 1, 1, 0], [600.0, 500.0, np.nan, 700.0])
    assert thresholds.tolist() == [500.0, 600.0, 700.0]
    assert cum_bad.tolist() == [1.0, 1.0, 1.0]


def test_calibration_by_band_counts_rates_and_shares() -> None:
    y = [1, 0, 0, 1, 0, 0]
    p_bad = [0.4, 0.2, 0.1, 0.3, 0.05, 0.5]
    scores = [500, 549.5, 550, 620, 800, np.nan]
    rows = {row.band: row for row in calibration_by_band(y, p_bad, scores)}
    assert (rows["poor"].count, rows["poor"].bads) == (2, 1)
    assert rows["poor"].bad_rate == 0.5
    assert rows["poor"].mean_p_bad == pytest.approx(0.3)
    assert rows["poor"].share == pytest.approx(2 / 6)
    assert (rows["fair"].count, rows["good"].count, rows["excellent"].count) == (1, 1, 1)
    assert rows["very good"].count == 0
    assert math.isnan(rows["very good"].bad_rate)
    assert (rows["fair"].low, rows["fair"].high) == (550, 599)


def test_default_bands_cover_the_scale_without_gaps() -> None:
    assert DEFAULT_BANDS[0].low == 350
    assert DEFAULT_BANDS[-1].high == 950
    assert all(a.high + 1 == b.low for a, b in itertools.pairwise(DEFAULT_BANDS))


def test_overlapping_bands_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="must not overlap"):
        calibration_by_band(
            [0, 1], [0.1, 0.9], [400, 600], [Band("a", 300, 500), Band("b", 500, 900)]
        )


def test_band_bounds_must_be_ordered() -> None:
    with pytest.raises(InvalidInputError, match="low must not exceed high"):
        Band("upside down", 600, 550)


def test_psi_matches_hand_computed_reference_from_shares() -> None:
    expected, actual = [0.1, 0.2, 0.3, 0.4], [0.2, 0.2, 0.3, 0.3]
    reference = (0.2 - 0.1) * math.log(0.2 / 0.1) + (0.3 - 0.4) * math.log(0.3 / 0.4)
    assert reference == pytest.approx(0.0980829, abs=1e-7)
    assert psi_from_shares(expected, actual) == pytest.approx(reference, abs=1e-15)


def test_psi_with_given_edges_matches_worked_example() -> None:
    expected = np.arange(1.0, 11.0)  # 1..10: bins (-inf,3], (3,6], (6,inf) hold 3, 3, 4
    actual = np.array([1.0, 2.0, 4.0, 5.0, 5.5, 6.0, 7.0, 8.0])  # 2, 4, 2 of 8
    e, a = [0.3, 0.3, 0.4], [0.25, 0.5, 0.25]
    reference = sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a, strict=True))
    assert psi(expected, actual, bins=[0.0, 3.0, 6.0, 10.0]) == pytest.approx(reference, abs=1e-12)


def test_psi_gives_empty_bins_the_epsilon_share() -> None:
    expected = np.arange(1.0, 11.0)
    actual = np.full(10, 1.0)  # everything in the first of two bins
    reference = (1.0 - 0.5) * math.log(1.0 / 0.5) + (PSI_EPSILON - 0.5) * math.log(
        PSI_EPSILON / 0.5
    )
    assert psi(expected, actual, bins=[0.0, 5.0, 10.0]) == pytest.approx(reference, abs=1e-12)


def test_psi_counts_missing_values_as_their_own_bin() -> None:
    expected = np.array([1.0, 2.0, 3.0, np.nan])
    actual = np.array([1.0, 2.0, np.nan, np.nan])
    e, a = [0.5, 0.25, 0.25], [0.5, 0.0, 0.5]  # bins (-inf,2], (2,inf), NaN
    a = [max(v, PSI_EPSILON) for v in a]
    reference = sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a, strict=True))
    assert psi(expected, actual, bins=[0.0, 2.0, 4.0]) == pytest.approx(reference, abs=1e-12)


def test_psi_of_a_sample_with_itself_is_zero_and_grows_with_shift() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(size=5_000)
    assert psi(base, base) == 0.0
    small, large = psi(base, base + 0.1), psi(base, base + 1.0)
    assert 0 < small < 0.1
    assert large > 0.25


def test_quantile_edges_are_deciles_of_expected() -> None:
    edges = quantile_edges(np.arange(0.0, 101.0), bins=10)
    np.testing.assert_allclose(edges, np.arange(0.0, 101.0, 10.0), rtol=0, atol=1e-9)


def test_psi_edges_must_increase() -> None:
    with pytest.raises(InvalidInputError, match="increasing"):
        psi([1.0, 2.0], [1.0, 2.0], bins=[3.0, 1.0])


def test_psi_categorical_matches_hand_computed_reference() -> None:
    expected = ["a"] * 5 + ["b"] * 3 + [None] * 2
    actual = ["a"] * 4 + ["b"] * 2 + ["c"] * 2 + [None] * 2
    pairs = [(0.5, 0.4), (0.3, 0.2), (PSI_EPSILON, 0.2), (0.2, 0.2)]
    reference = sum((a - e) * math.log(a / e) for e, a in pairs)
    assert psi_categorical(expected, actual) == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize(
    ("value", "verdict"),
    [(0.0, "stable"), (0.0999, "stable"), (0.1, "watch"), (0.25, "watch"), (0.2501, "shift")],
)
def test_stability_verdict_thresholds(value: float, verdict: str) -> None:
    assert stability_verdict(value) == verdict


def test_psi_table_handles_numeric_and_categorical_columns() -> None:
    rng = np.random.default_rng(9)
    old = pd.DataFrame({"income": rng.normal(size=2_000), "city": rng.choice(["x", "y"], 2_000)})
    new = pd.DataFrame(
        {"income": rng.normal(loc=1.0, size=2_000), "city": rng.choice(["x", "y"], 2_000)}
    )
    rows = {row.characteristic: row for row in psi_table(old, new)}
    assert rows["income"].verdict == "shift"
    assert rows["city"].verdict == "stable"
    assert rows["city"].psi == pytest.approx(
        psi_categorical(old["city"].to_numpy(), new["city"].to_numpy())
    )


def test_psi_table_names_missing_columns() -> None:
    with pytest.raises(InvalidInputError, match=r"missing from a frame: \['age'\]"):
        psi_table(pd.DataFrame({"age": [1.0]}), pd.DataFrame({"x": [1.0]}))


def test_score_distribution_counts_each_outcome() -> None:
    histogram = score_distribution(
        [400, 420, 610, 640, np.nan], [1, 0, 0, 0, 1], bins=[350, 500, 650]
    )
    assert histogram.goods.tolist() == [1, 2]
    assert histogram.bads.tolist() == [1, 0]
    assert histogram.edges.tolist() == [350.0, 500.0, 650.0]


def test_evaluate_bundles_the_metrics_and_serialises_to_json() -> None:
    y, p_bad, scores = sample()
    result = evaluate(y, p_bad, scores)
    assert result.auc == pytest.approx(roc_auc_score(y, p_bad))
    assert result.gini == pytest.approx(2 * result.auc - 1)
    assert (result.n, result.bads) == (y.size, int(y.sum()))
    assert sum(row.count for row in result.calibration) == y.size
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["auc"] == result.auc
    assert [row["band"] for row in payload["calibration"]] == [b.name for b in DEFAULT_BANDS]
    assert all(type(v) in (int, float) for k, v in payload.items() if k != "calibration")


def test_evaluation_to_dict_turns_nan_into_null() -> None:
    result = evaluate([0, 1], [0.2, 0.7], [900, 400])
    rows = {row["band"]: row for row in result.to_dict()["calibration"]}  # type: ignore[attr-defined]
    assert rows["fair"]["bad_rate"] is None
