"""The model card: every section, and every figure equal to the artifact's, field by field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credo.errors import InvalidInputError
from credo.model.card import SECTIONS, CardInput, render_card
from credo.model.evaluation import DEFAULT_BANDS
from credo.model.fairness import audit_attribute
from credo.model.fairness_report import FairnessReport
from credo.model.stability import stability_verdict
from credo.training.fit import FittedModel, fit_and_evaluate

SPECIAL = -1.0  # the special code of the synthetic data (conftest.make_credit)
DIMENSIONS = {
    "income": "capacity",
    "age": "stability",
    "region": "stability",
    "utilisation": "behaviour",
    "late_payments": "behaviour",
}


@pytest.fixture(scope="module")
def fitted(credit: tuple[pd.DataFrame, pd.Series]) -> FittedModel:
    frame, y = credit
    return fit_and_evaluate(
        frame,
        y,
        params={"special_codes": [SPECIAL], "dimensions": DIMENSIONS},
        bands=DEFAULT_BANDS,
        created_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def fairness(fitted: FittedModel) -> FairnessReport:
    test = fitted.test
    n = len(np.asarray(test.y))
    sex = np.random.default_rng(4).choice(["female", "male"], size=n)
    scores = np.asarray(test.scores)
    audit = audit_attribute(
        "sex", sex, scores, threshold=float(np.median(scores)), y=test.y, p_bad=test.p_bad
    )
    return FairnessReport("scorecard-0007", fitted.sha256, "2026-11-30T12:00:00+00:00", (audit,))


def card_of(fitted: FittedModel, fairness: FairnessReport | None = None) -> str:
    return render_card(
        CardInput(
            doc=fitted.artifact,
            version="scorecard-0007",
            origin="synthetic applicants",
            trained_as_of="2025-10-31",
            active=True,
            fairness=fairness,
        )
    )


def section(card: str, title: str) -> str:
    parts = re.split(r"^## (.+)$", card, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))[title]


def tables(text: str) -> list[list[list[str]]]:
    """Each Markdown table of ``text`` as rows of cells, the heading and rule left out."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip("|").split(" | ")])
        elif current:
            found.append(current[2:])
            current = []
    return found


def pct(value: Any) -> str:
    return f"{100 * float(value):.1f}%"


def test_every_section_is_there_in_order(fitted: FittedModel, fairness: FairnessReport) -> None:
    card = card_of(fitted, fairness)
    assert re.findall(r"^## (.+)$", card, flags=re.MULTILINE) == list(SECTIONS)
    assert card.startswith("# Model card: scorecard-0007\n")
    assert f"`{fitted.sha256}`" in card


def test_data_matches_the_artifact(fitted: FittedModel) -> None:
    doc = fitted.artifact
    rows = dict(map(tuple, tables(section(card_of(fitted), "Data"))[0]))  # type: ignore[arg-type]
    assert rows["trained on"] == "synthetic applicants"
    assert rows["training rows"] == f"{doc['training']['rows']:,}"
    assert rows["training bad rate"] == pct(doc["training"]["bad_rate"])
    assert rows["held-out rows"] == f"{doc['metrics']['test']['n']:,}"
    assert rows["training data fingerprint (SHA-256)"] == f"`{doc['training']['fingerprint']}`"


def test_characteristics_and_dimensions_match_the_artifact(fitted: FittedModel) -> None:
    doc = fitted.artifact
    weights, features = tables(section(card_of(fitted), "Characteristics and dimensions"))
    assert {row[0]: row[1] for row in weights} == {
        name: f"{d['weight']:.3f}" for name, d in doc["dimensions"].items()
    }
    assert len(features) == len(doc["features"])
    for row, feature in zip(features, doc["features"], strict=True):
        assert row[:6] == [
            feature["name"],
            feature["dimension"],
            str(len(feature["bins"])),
            f"{feature['iv']:.3f}",
            f"{feature['coefficient']:.3f}",
            f"{feature['points_min']:.1f} to {feature['points_max']:.1f}",
        ]


def test_performance_matches_the_artifact(fitted: FittedModel) -> None:
    metrics = fitted.artifact["metrics"]
    text = section(card_of(fitted), "Performance")
    summary, calibration = tables(text)
    for row, key in zip(summary, ("train", "test"), strict=True):
        m = metrics[key]
        assert row[1:] == [f"{m['n']:,}", pct(m["bad_rate"]), f"{m['auc']:.3f}",
                           f"{m['ks']:.3f}", f"{m['gini']:.3f}", f"{m['brier']:.4f}"]  # fmt: skip
    assert f"AUC {metrics['challenger']['auc']:.3f}" in text
    bands = [b for b in metrics["test"]["calibration"] if b["count"]]
    assert [r[0] for r in calibration] == [b["band"] for b in bands]
    assert [r[3] for r in calibration] == [pct(b["bad_rate"]) for b in bands]


def test_stability_matches_the_artifact(fitted: FittedModel) -> None:
    psi = fitted.artifact["metrics"]["psi"]
    (rows,) = tables(section(card_of(fitted), "Stability"))
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        name: (f"{value:.3f}", stability_verdict(value)) for name, value in psi.items()
    }


def test_fairness_shows_the_audit(fitted: FittedModel, fairness: FairnessReport) -> None:
    (audit,) = fairness.audits
    text = section(card_of(fitted, fairness), "Fairness")
    assert f"### sex: {audit.verdict}" in text
    assert f"adverse impact ratio {audit.adverse_impact_ratio:.2f}" in text
    (rows,) = tables(text)
    assert [r[:4] for r in rows] == [
        [g.group, f"{g.n:,}", pct(g.approval_rate), "—" if np.isnan(g.impact_ratio)
         else f"{g.impact_ratio:.2f}"]
        for g in (*audit.groups, audit.overall)
    ]  # fmt: skip


def test_without_an_audit_the_card_says_how_to_run_one(fitted: FittedModel) -> None:
    assert "credo model fairness" in section(card_of(fitted), "Fairness")


def test_an_adverse_impact_is_a_limitation(fitted: FittedModel) -> None:
    scores = np.asarray(fitted.test.scores)
    older = scores >= np.median(scores)  # a group made of the better half: adverse impact
    audit = audit_attribute(
        "age group", np.where(older, "40+", "under 40"), scores,
        threshold=float(np.median(scores)), y=fitted.test.y, p_bad=fitted.test.p_bad,
    )  # fmt: skip
    assert audit.verdict == "adverse impact"
    report = FairnessReport("scorecard-0007", fitted.sha256, "", (audit,))
    limits = section(card_of(fitted, report), "Limitations")
    assert "Adverse impact by age group: group under 40 is approved at 0.0%" in limits


def test_the_audit_of_another_model_is_refused(fitted: FittedModel) -> None:
    other = FairnessReport("scorecard-0001", "0" * 64, "", ())
    with pytest.raises(InvalidInputError, match="the fairness audit is of model 'scorecard-0001'"):
        card_of(fitted, other)


def test_the_contact_is_the_one_given(fitted: FittedModel) -> None:
    card = render_card(CardInput(doc=fitted.artifact, version="v", contact="risk@example.org"))
    assert section(card, "Contact").strip() == "risk@example.org"
