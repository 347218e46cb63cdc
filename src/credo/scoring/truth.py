"""How well published scores rank people against a synthetic population's ground truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from credo.model.evaluation import auc

__all__ = ["TruthCheck", "check_against_truth"]


@dataclass(frozen=True, slots=True)
class TruthCheck:
    """Scores against what really happened (synthetic data only)."""

    matched: int
    bads: int
    auc: float | None
    spearman: float | None


def check_against_truth(
    scores: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame
) -> TruthCheck:
    """``scores`` (subject, score) of one run against the dataset's ``outcomes`` at the run's
    month end (subject, bad, defaulted_before) and ``truth`` (subject, creditworthiness).

    The AUC is the chance that a person who goes on to default scores below one who does not
    (people already in default are left out); Spearman's rank correlation is taken with the
    latent creditworthiness the population was generated from.
    """
    scored = scores.dropna(subset=["score"])
    joined = scored.merge(outcomes, on="subject")
    joined = joined[~joined["defaulted_before"].astype(bool)]
    bads = int(joined["bad"].sum())
    value = None
    if 0 < bads < len(joined):
        # a lower score means more risk: rank by (950 - score) / 600, a monotone map into [0, 1]
        risk = (950.0 - joined["score"].to_numpy(dtype=np.float64)) / 600.0
        value = auc(joined["bad"].to_numpy(), risk)
    latent = scored.merge(truth.dropna(subset=["creditworthiness"]), on="subject")
    spearman = None
    if len(latent) > 2:
        spearman = float(latent["score"].rank().corr(latent["creditworthiness"].rank()))
    return TruthCheck(matched=len(joined), bads=bads, auc=value, spearman=spearman)
