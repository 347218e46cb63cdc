"""A small synthetic credo home with a lake and a trained model, built once per session and
copied for each test that changes it. The fixtures are imported by the conftest of each test
folder that uses them (scoring, rights)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.home import Home
from credo.settings import Settings
from credo.synth import generate_population
from credo.training.platform import train_on_lake

TRAIN_AS_OF = datetime(2025, 11, 1, tzinfo=UTC)  # the end of 2025-10-31


@pytest.fixture(scope="session")
def lake_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with 800 synthetic people over 24 months, loaded, without a model."""
    root = tmp_path_factory.mktemp("scoring")
    generate_population(root / "data", subjects=800, months=24, seed=3)
    os.environ["CREDO_HOME"] = str(root / "home")
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
        loaded = runner.invoke(app, ["load", str(root / "data"), "--json"])
        assert loaded.exit_code == 0, loaded.output
    finally:
        del os.environ["CREDO_HOME"]
    return root / "home"


@pytest.fixture(scope="session")
def model_template(lake_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same home with a scorecard trained as of 2025-10-31 (12-month outcomes)."""
    target = tmp_path_factory.mktemp("trained") / "home"
    shutil.copytree(lake_template, target)
    home = Home(Settings(home=target))
    train_on_lake(
        lake=home.lake,
        sources=home.sources,
        registry=home.models,
        reports=target / "reports",
        as_of=TRAIN_AS_OF,
        scoring=home.settings.scoring,
        engine=home.settings.engine,
        clock=home.clock,
    )
    home.dispose()
    return target


def copy_home(template: Path, tmp_path: Path) -> Home:
    target = tmp_path / "home"
    shutil.copytree(template, target)
    return Home(Settings(home=target))


@pytest.fixture
def trained(model_template: Path, tmp_path: Path) -> Iterator[Home]:
    """A private copy of the home with an active model."""
    home = copy_home(model_template, tmp_path)
    yield home
    home.dispose()


@pytest.fixture
def untrained(lake_template: Path, tmp_path: Path) -> Iterator[Home]:
    """A private copy of the home without a model."""
    home = copy_home(lake_template, tmp_path)
    yield home
    home.dispose()
