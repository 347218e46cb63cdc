"""Scorecard models: monotone binning, points scaling, reasons, versioned JSON artifacts,
evaluation, stability, fairness across groups, the HTML report, the model card and a LightGBM
challenger.

The model trains on any table (one row per subject, a 0/1 target where 1 = bad); it knows
nothing of events, lakes or the feature catalogue.
"""

from __future__ import annotations

from credo.model.artifact import dumps, from_artifact, loads, to_artifact, training_fingerprint
from credo.model.binning import Binning, MonotoneBinner, assign_bins
from credo.model.card import CardInput, render_card
from credo.model.challenger import Challenger, ChallengerParams, fit_challenger
from credo.model.evaluation import (
    DEFAULT_BANDS,
    Band,
    BandCalibration,
    Evaluation,
    auc,
    brier,
    calibration_by_band,
    evaluate,
    gini,
    ks,
)
from credo.model.fairness import FairnessAudit, GroupResult, audit_attribute
from credo.model.fairness_report import FairnessReport
from credo.model.reasons import Improvement, Reason
from credo.model.report import (
    ChallengerInput,
    EvaluationInput,
    ReportData,
    TrainingSummary,
    render_report,
)
from credo.model.scaling import Scaling
from credo.model.scorecard import Scorecard
from credo.model.stability import PsiRow, psi, psi_categorical, psi_table, stability_verdict

__all__ = [
    "DEFAULT_BANDS",
    "Band",
    "BandCalibration",
    "Binning",
    "CardInput",
    "Challenger",
    "ChallengerInput",
    "ChallengerParams",
    "Evaluation",
    "EvaluationInput",
    "FairnessAudit",
    "FairnessReport",
    "GroupResult",
    "Improvement",
    "MonotoneBinner",
    "PsiRow",
    "Reason",
    "ReportData",
    "Scaling",
    "Scorecard",
    "TrainingSummary",
    "assign_bins",
    "auc",
    "audit_attribute",
    "brier",
    "calibration_by_band",
    "dumps",
    "evaluate",
    "fit_challenger",
    "from_artifact",
    "gini",
    "ks",
    "loads",
    "psi",
    "psi_categorical",
    "psi_table",
    "render_card",
    "render_report",
    "stability_verdict",
    "to_artifact",
    "training_fingerprint",
]
