"""Fit a scorecard on any table, evaluate it on a held-out part, beside a challenger.

One protocol for every origin (the lake's training sets, an analyst's CSV): a stratified
split (70/30, seeded), the scorecard fitted on the training part, AUC/KS/Gini/Brier and band
calibration on both parts, a monotone LightGBM challenger on the same split, and the stability
(PSI) of the score and of each characteristic between training and a later sample. The metrics
go into the artifact; the report is rendered once the model has a version.
"""

# ruff: noqa: N803, N806 - X is scikit-learn's name for the feature matrix
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import train_test_split

from credo.errors import InvalidInputError
from credo.model.artifact import dumps, to_artifact, training_fingerprint
from credo.model.challenger import fit_challenger
from credo.model.evaluation import Band, Evaluation, evaluate
from credo.model.report import (
    ChallengerInput,
    EvaluationInput,
    ReportData,
    TrainingSummary,
    render_report,
)
from credo.model.scorecard import Scorecard
from credo.model.stability import PsiRow, psi, psi_table, stability_verdict

__all__ = ["TEST_SHARE", "FittedModel", "fit_and_evaluate"]

TEST_SHARE = 0.3
MIN_ROWS = 50


@dataclass(frozen=True)
class FittedModel:
    """A fitted scorecard with its artifact and what its report shows."""

    scorecard: Scorecard
    artifact: dict[str, Any]
    text: str
    train: EvaluationInput
    test: EvaluationInput
    test_evaluation: Evaluation
    challenger: ChallengerInput | None
    psi_rows: tuple[PsiRow, ...]
    summary: TrainingSummary

    @property
    def sha256(self) -> str:
        """The artifact's digest."""
        return str(self.artifact["sha256"])

    def report(self, *, title: str, version: str, bands: Sequence[Band]) -> str:
        """The self-contained HTML report of this model."""
        return render_report(
            ReportData(
                title=title,
                model_version=version,
                created_at=str(self.artifact.get("created_at", "")),
                training=self.summary,
                train=self.train,
                test=self.test,
                scorecard_table=self.scorecard.points_table(),
                dimension_weights=dict(self.scorecard.dimension_weights_),
                psi_rows=self.psi_rows,
                challenger=self.challenger,
                bands=tuple(bands),
            )
        )


def _sample(
    label: str, model: Scorecard, X: pd.DataFrame, y: npt.NDArray[np.int64]
) -> EvaluationInput:
    return EvaluationInput(
        label=label, y=y, p_bad=model.predict_proba(X)[:, 1], scores=model.score(X)
    )


def fit_and_evaluate(
    X: pd.DataFrame,
    y: npt.ArrayLike,
    *,
    params: Mapping[str, Any] | None = None,
    monotone: Mapping[str, int] | None = None,
    later: pd.DataFrame | None = None,
    period: str = "",
    bands: Sequence[Band],
    created_at: datetime,
    challenger: bool = True,
    seed: int = 42,
) -> FittedModel:
    """Fit ``Scorecard(**params)`` on 70% of ``(X, y)`` (1 = bad) and evaluate it on the rest.

    ``monotone`` ({column: +1 if risk rises with the value, -1 if it falls}) constrains both
    the scorecard's binning and the challenger; ``later`` is a later sample of the same
    columns for the stability table (default: the held-out part).
    """
    target = np.asarray(y, dtype=np.int64)
    if len(X) != len(target):
        raise InvalidInputError(f"{len(X)} rows but {len(target)} outcomes")
    bads = int(target.sum())
    if len(X) < MIN_ROWS or bads < 10 or len(X) - bads < 10:
        raise InvalidInputError(
            f"too little to train on: {len(X)} rows, {bads} bad, {len(X) - bads} good "
            f"(need {MIN_ROWS} rows and 10 of each)"
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, target, test_size=TEST_SHARE, stratify=target, random_state=seed
    )
    settings = dict(params or {})
    if monotone:
        trends = {c: "ascending" if s > 0 else "descending" for c, s in monotone.items() if s}
        settings.setdefault("monotonic_trend", trends)
    model = Scorecard(**settings).fit(X_train, y_train)
    train = _sample("training", model, X_train, y_train)
    test = _sample("held out", model, X_test, y_test)
    train_eval = evaluate(train.y, train.p_bad, train.scores, bands)
    test_eval = evaluate(test.y, test.p_bad, test.scores, bands)
    rival = None
    metrics: dict[str, Any] = {"train": train_eval.to_dict(), "test": test_eval.to_dict()}
    if challenger:
        fitted = fit_challenger(X_train, y_train, monotone=monotone, random_state=seed)
        rival = ChallengerInput(
            label="LightGBM (monotone)", y=y_test, p_bad=fitted.predict_proba(X_test)
        )
        rival_eval = evaluate(y_test, rival.p_bad, test.scores, bands)
        metrics["challenger"] = {"auc": rival_eval.auc, "ks": rival_eval.ks}
    compare = X_test if later is None else later
    used = list(model.features_)
    rows = psi_table(X_train[used], compare[used], used) if used else []
    score_psi = psi(train.scores, model.score(compare))
    rows = [PsiRow("score", score_psi, stability_verdict(score_psi)), *rows]
    metrics["psi"] = {row.characteristic: row.psi for row in rows}
    artifact = to_artifact(
        model,
        metrics=metrics,
        training_fingerprint=training_fingerprint(X_train, y_train),
        created_at=created_at,
    )
    summary = TrainingSummary(rows=len(X_train), bad_rate=float(np.mean(y_train)), period=period)
    return FittedModel(
        scorecard=model,
        artifact=artifact,
        text=dumps(artifact),
        train=train,
        test=test,
        test_evaluation=test_eval,
        challenger=rival,
        psi_rows=tuple(rows),
        summary=summary,
    )
