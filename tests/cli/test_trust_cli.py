"""`credo model fairness` and `credo model card` as a user meets them: on a table and on the
platform's lake, with the files they leave and the errors they explain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.home import Home
from credo.model.artifact import from_artifact, loads

runner = CliRunner()


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """1,200 applicants: two characteristics, and sex and age kept apart (risk falls with age,
    which the characteristics carry only in part)."""
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(9)
    n = 1_200
    age = rng.integers(18, 75, size=n)
    debt = rng.gamma(2.0, 1.0, size=n) + 0.02 * (50 - age).clip(0)
    job = rng.choice(["none", "part", "full"], size=n, p=[0.2, 0.3, 0.5])
    logit = -1.2 + 0.6 * (debt - 2) + (job == "none") * 0.9 - 0.02 * (age - 45)
    bad = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "debt": debt.round(2),
            "job": job,
            "sex": rng.choice(["female", "male"], size=n),
            "age": age,
            "outcome": np.where(bad, "bad", "good"),
        }
    )
    path = tmp_path / "loans.csv"
    frame.to_csv(path, index=False)
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def train(csv: Path, *extra: str) -> None:
    code, output = invoke("model", "train", "--csv", str(csv), "--target", "outcome",
                          "--bad-value", "bad", *extra)  # fmt: skip
    assert code == 0, output


def fairness(csv: Path, *extra: str) -> tuple[int, str]:
    return invoke("model", "fairness", "--csv", str(csv), "--target", "outcome", "--bad-value",
                  "bad", "--file", str(csv.with_name("loans.scorecard.json")), *extra)  # fmt: skip


def test_a_table_is_audited_on_attributes_kept_apart(table: Path) -> None:
    train(table, "--protected", "sex", "--protected", "age")
    code, output = fairness(table, "--attribute", "sex", "--attribute", "age",
                            "--bins", "age=30,50", "--approve", "0.6", "--json")  # fmt: skip
    assert code == 0, output
    doc = json.loads(output)
    assert doc["kind"] == "credo.fairness"
    sex, age = doc["audits"]
    assert "AUC and calibration on the 360 held out from training" in sex["sample"]
    assert [g["group"] for g in age["groups"]] == ["< 30", "[30, 50)", ">= 50"]
    # the approval rates are those of the artifact's own scores at the threshold
    frame = pd.read_csv(table)
    artifact = loads(table.with_name("loans.scorecard.json").read_text())
    approved = from_artifact(artifact).score(frame) >= sex["threshold"]
    for group in sex["groups"]:
        inside = (frame["sex"] == group["group"]).to_numpy()
        assert group["approval_rate"] == pytest.approx(approved[inside].mean())
    assert sum(g["outcomes"] for g in sex["groups"]) == 360
    stored = json.loads(table.with_name("loans.fairness.json").read_text())
    assert stored["audits"] == doc["audits"]
    report = table.with_name("loans.report.html").read_text()
    assert report.count('<section id="fairness">') == 1


def test_the_card_of_an_artifact_carries_its_audit(table: Path) -> None:
    train(table, "--protected", "sex", "--protected", "age")
    assert fairness(table, "--attribute", "sex")[0] == 0
    code, card = invoke("model", "card", "--file", str(table.with_name("loans.scorecard.json")),
                        "--contact", "model-risk@example.org")  # fmt: skip
    assert code == 0, card
    assert "## Fairness" in card
    assert "### sex: " in card
    assert card.rstrip().endswith("model-risk@example.org")
    out = table.with_name("card.md")
    code, output = invoke("model", "card", "--file", str(table.with_name("loans.scorecard.json")),
                          "--out", str(out))  # fmt: skip
    assert code == 0, output
    assert out.read_text().startswith("# Model card: loans.scorecard.json")


def test_an_attribute_the_model_may_use_is_refused(table: Path) -> None:
    train(table)
    code, output = fairness(table, "--attribute", "sex")
    assert code == 2
    assert "sex: an input of the model" in output
    assert "--protected sex" in output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--attribute", "religion"], "no attribute column 'religion'; the file has: debt, job"),
        (["--attribute", "age"], "age has 57 distinct numeric values; cut it into groups"),
        (["--attribute", "sex", "--threshold", "600", "--approve", "0.5"], "not both"),
        (["--attribute", "sex", "--bins", "age=30"], "--bins names 'age'"),
        (["--attribute", "age", "--bins", "age=old"], "expected NAME=25,40"),
    ],
)
def test_bad_requests_are_explained(table: Path, extra: list[str], message: str) -> None:
    train(table, "--protected", "sex", "--protected", "age")
    code, output = fairness(table, *extra)
    assert code == 2
    assert message in " ".join(output.split())


def test_whose_attributes_must_be_said(table: Path) -> None:
    train(table, "--protected", "sex")
    code, output = invoke("model", "fairness", "--attribute", "sex", "--file",
                          str(table.with_name("loans.scorecard.json")))  # fmt: skip
    assert code == 2
    assert "say whose attributes to audit" in output


def test_protected_must_name_a_column(table: Path) -> None:
    code, output = invoke("model", "train", "--csv", str(table), "--target", "outcome",
                          "--bad-value", "bad", "--protected", "religion")  # fmt: skip
    assert code == 2
    assert "--protected 'religion' is not an attribute column" in output


@pytest.fixture
def platform(trained: Home, lake_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The trained synthetic home as $CREDO_HOME; returns its dataset folder."""
    monkeypatch.setenv("CREDO_HOME", str(trained.settings.home))
    return lake_template.parent / "data"


def test_the_platform_is_audited_by_operator_attributes(platform: Path) -> None:
    code, output = invoke("model", "fairness", "--attributes", str(platform / "truth.parquet"),
                          "--key", "subject", "--national-id", "--attribute", "age",
                          "--bins", "age=30,50", "--attribute", "sex", "--min-group", "20",
                          "--json")  # fmt: skip
    assert code == 0, output
    doc = json.loads(output)
    assert doc["model_version"] == "scorecard-0001"
    age, sex = doc["audits"]
    assert "people in the lake as of 2025-10-31" in age["sample"]
    assert "held out" in age["sample"]  # the training split was found again
    assert {g["group"] for g in sex["groups"]} == {"female", "male"}
    assert sum(g["n"] for g in age["groups"]) == age["overall"]["n"]
    assert age["overall"]["outcomes"] > 0
    code, card = invoke("model", "card")
    assert code == 0, card
    assert "### age: " in card
    assert "### sex: " in card


def test_platform_errors_name_what_is_there(platform: Path) -> None:
    truth = str(platform / "truth.parquet")
    code, output = invoke("model", "fairness", "--attributes", truth, "--attribute", "age")
    assert code == 2
    assert "has no identifier column 'identifier' (name it with --key)" in output
    code, output = invoke("model", "fairness", "--attributes", truth, "--key", "subject",
                          "--attribute", "religion")  # fmt: skip
    assert code == 2
    assert "no attribute 'religion' in truth.parquet; it has: creditworthiness" in output
    assert "--national-id adds age and sex" in output
