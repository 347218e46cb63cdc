"""`credo train`, `credo model list|show|activate|report` on a home with a lake."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from credo.cli import app
from credo.home import Home

runner = CliRunner()


def test_train_registers_an_active_model_with_its_report(untrained: Home) -> None:
    env = {"CREDO_HOME": str(untrained.settings.home)}
    result = runner.invoke(app, ["train", "--as-of", "2025-10-31", "--json"], env=env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["version"] == "scorecard-0001"
    assert payload["active"] is True
    assert payload["test_auc"] > 0.6
    assert payload["excluded"]["in default already"] >= 0
    listed = runner.invoke(app, ["model", "list", "--json"], env=env)
    assert json.loads(listed.output)[0]["origin"].startswith("lake as of 2025-10-31")
    report = runner.invoke(app, ["model", "report"], env=env)
    assert report.output.strip().endswith("scorecard-0001.html")
    shown = runner.invoke(app, ["model", "show", "--json"], env=env)
    rows = json.loads(shown.output)
    assert {r["dimension"] for r in rows} <= {
        "history",
        "capacity",
        "identity",
        "behavior",
        "network",
    }
    assert len({r["dimension"] for r in rows}) >= 3


def test_training_too_late_for_its_outcomes_says_which_date_works(untrained: Home) -> None:
    env = {"CREDO_HOME": str(untrained.settings.home)}
    result = runner.invoke(app, ["train", "--as-of", "2026-06-30"], env=env)
    assert result.exit_code == 2
    assert "are not all in the lake" in result.output
    assert "train as of 2025-10-31 or earlier" in result.output


def test_activate_an_older_model(trained: Home) -> None:
    env = {"CREDO_HOME": str(trained.settings.home)}
    again = runner.invoke(app, ["train", "--as-of", "2025-09-30", "--no-activate"], env=env)
    assert again.exit_code == 0, again.output
    assert "(inactive)" in again.output
    switched = runner.invoke(app, ["model", "activate", "scorecard-0002"], env=env)
    assert switched.exit_code == 0, switched.output
    active = trained.models.active()
    assert active is not None
    assert active.version == "scorecard-0002"
    missing = runner.invoke(app, ["model", "activate", "scorecard-0042"], env=env)
    assert missing.exit_code == 1
    assert "no model 'scorecard-0042'" in missing.output
