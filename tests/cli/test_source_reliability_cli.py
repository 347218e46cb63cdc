"""`credo source reliability | pin | unpin` on a small synthetic home, end to end: the source
that makes up records is found, the estimates become the weights the run reads, pins hold."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.home import Home
from credo.settings import Settings
from credo.synth import generate_population

runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with 600 synthetic people over 12 months, loaded (once for the module)."""
    root = tmp_path_factory.mktemp("reliability")
    generate_population(root / "data", subjects=600, months=12, seed=4)
    env = {"CREDO_HOME": str(root / "home")}
    assert runner.invoke(app, ["init", "--dev-key"], env=env).exit_code == 0
    loaded = runner.invoke(app, ["load", str(root / "data"), "--json"], env=env)
    assert loaded.exit_code == 0, loaded.output
    return root / "home"


@pytest.fixture
def home(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the template, named by CREDO_HOME."""
    path = tmp_path / "home"
    shutil.copytree(template, path)
    monkeypatch.setenv("CREDO_HOME", str(path))
    return path


def credo_json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def weights(path: Path) -> dict[str, float]:
    """What the monthly run reads: every source's reliability in the store."""
    home = Home(Settings(home=path))
    try:
        return {s.name: s.reliability for s in home.sources.all()}
    finally:
        home.dispose()


def test_the_source_making_up_records_is_estimated_lowest(home: Path) -> None:
    report = credo_json("source", "reliability")
    estimates = {e["source"]: e for e in report["estimates"]}
    quick = estimates.pop("quickloan")
    assert quick["estimate"] < 0.6 - 0.2  # declared 0.6; most of its arrears are made up
    assert quick["set_by"] == "history"
    assert quick["disagreeing"] > quick["agreeing"]
    assert all(e["estimate"] > quick["estimate"] + 0.3 for e in estimates.values())
    (arrears,) = quick["families"]
    assert arrears["family"] == "arrears"
    assert arrears["true_share"] < 0.5
    assert "applied" not in report
    assert weights(home)["quickloan"] == 0.6  # nothing stored without --apply


def test_apply_makes_the_estimates_the_run_weights_except_pins(home: Path) -> None:
    pinned = runner.invoke(app, ["source", "pin", "bank", "0.5"])
    assert pinned.exit_code == 0, pinned.output
    assert "pinned at reliability 0.500" in pinned.output
    report = credo_json("source", "reliability", "--apply")
    estimates = {e["source"]: e["estimate"] for e in report["estimates"]}
    now = weights(home)
    assert now["bank"] == 0.5
    assert report["applied"]["pinned"] == ["bank"]
    assert now["quickloan"] == pytest.approx(estimates["quickloan"], abs=1e-4)
    listed = {s["name"]: s for s in credo_json("source", "list")}
    assert listed["bank"]["reliability_basis"] == "pinned"
    assert listed["quickloan"]["reliability_basis"].startswith("estimated ")
    unpinned = runner.invoke(app, ["source", "unpin", "bank"])
    assert unpinned.exit_code == 0, unpinned.output
    credo_json("source", "reliability", "--apply")
    assert weights(home)["bank"] != 0.5
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_the_table_shows_estimates_with_their_evidence(home: Path) -> None:
    result = runner.invoke(app, ["source", "reliability", "--evidence"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("source reliability", "quickloan", "arrears", "identity", "not checked"):
        assert text in result.stdout
    assert "--apply stores the estimates" in result.stderr


def test_pin_refuses_a_value_out_of_range_and_an_unknown_source(home: Path) -> None:
    bad = runner.invoke(app, ["source", "pin", "bank", "0"])
    assert bad.exit_code == 2
    assert "reliability must be in (0, 1]" in bad.stderr
    unknown = runner.invoke(app, ["source", "unpin", "nobody"])
    assert unknown.exit_code == 1
    assert "source 'nobody' is not registered" in unknown.stderr
