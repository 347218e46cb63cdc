"""``credo keys list|rotate|retire`` as an operator meets them."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.errors import PrivacyError
from credo.home import Home
from credo.privacy.vault import PersonalValue
from credo.settings import DEV_MASTER_KEY, load_settings

from factories import NOW, PERSON

runner = CliRunner()
PEOPLE = 3


def store_people() -> list[str]:
    """Store a name for a few people in the home $CREDO_HOME names; return their tokens."""
    home = Home(load_settings())
    try:
        tokeniser = home.tokeniser
        subjects = [tokeniser.subject(f"{PERSON[:-1]}{i}") for i in range(PEOPLE)]
        home.vault.store(
            PersonalValue(s, "name", "bank", f"Person {i}", f"fp-{i}", NOW)
            for i, s in enumerate(subjects)
        )
        return subjects
    finally:
        home.dispose()


def names(subjects: list[str]) -> list[str]:
    home = Home(load_settings())
    try:
        return [home.vault.read(s)[0].value for s in subjects]
    finally:
        home.dispose()


def listed() -> dict[str, Any]:
    result = runner.invoke(app, ["keys", "list", "--json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised home with the development key and a few people in the vault."""
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "home"))
    assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
    return tmp_path / "home" / "keys"


def test_list_shows_the_active_key_and_what_it_wraps(keys: Path) -> None:
    store_people()
    assert listed() == {
        "keys": [{"key_id": "dev", "is_active": True, "wrapped": PEOPLE + 1}],
        "unknown_key": 0,
    }
    table = runner.invoke(app, ["keys", "list"])
    assert "dev" in table.stdout
    assert "active" in table.stdout


def test_rotate_then_retire_keeps_everything_readable(keys: Path) -> None:
    subjects = store_people()
    result = runner.invoke(app, ["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "new master key k-" in result.stdout
    assert f"re-wrapped {PEOPLE + 1} keys in 3 batches" in result.stdout
    assert "old keys that wrap nothing now: dev" in result.stdout
    (new,) = [k for k in listed()["keys"] if k["is_active"]]
    assert new["wrapped"] == PEOPLE + 1
    assert runner.invoke(app, ["keys", "retire", "dev"]).exit_code == 0
    assert not (keys / "dev.key").exists()
    assert [k["key_id"] for k in listed()["keys"]] == [new["key_id"]]
    assert names(subjects) == [f"Person {i}" for i in range(PEOPLE)]


def test_rotate_prints_json(keys: Path) -> None:
    store_people()
    result = runner.invoke(app, ["keys", "rotate", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["created"] is True
    assert report["rewrapped"] == PEOPLE + 1
    assert report["retirable"] == ["dev"]
    assert (keys / f"{report['key_id']}.key").exists()


def test_retire_refuses_the_active_key_and_a_key_still_in_use(keys: Path) -> None:
    store_people()
    active = runner.invoke(app, ["keys", "retire", "dev"])
    assert active.exit_code == 1
    assert "'dev' is the active master key" in active.stderr
    (keys / "active").write_text("k-other\n")  # as if a rotation had only made its key
    (keys / "k-other.key").write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    in_use = runner.invoke(app, ["keys", "retire", "dev"])
    assert in_use.exit_code == 1
    assert f"'dev' still wraps {PEOPLE + 1} keys" in in_use.stderr
    assert (keys / "dev.key").exists()
    unknown = runner.invoke(app, ["keys", "retire", "k-nothing"])
    assert unknown.exit_code == 1
    assert "no master key 'k-nothing'" in unknown.stderr


def test_a_second_rotate_after_an_interruption_finishes_it(keys: Path) -> None:
    subjects = store_people()
    (keys / "active").write_text("k-half\n")  # the key exists, nothing is re-wrapped yet
    (keys / "k-half.key").write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "finished the rotation to master key k-half" in result.stdout
    assert sorted(p.name for p in keys.glob("*.key")) == ["dev.key", "k-half.key"]
    assert names(subjects) == [f"Person {i}" for i in range(PEOPLE)]


def test_a_missing_key_is_reported_by_list_and_fails_reads(keys: Path) -> None:
    subjects = store_people()
    (keys / "active").write_text("k-other\n")
    (keys / "k-other.key").write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    (keys / "dev.key").unlink()
    result = runner.invoke(app, ["keys", "list"])
    assert result.exit_code == 0
    assert f"{PEOPLE + 1} wrapped keys name a master key that is not available" in result.stderr
    rotate = runner.invoke(app, ["keys", "rotate"])
    assert rotate.exit_code == 1
    assert "no key 'dev'" in rotate.stderr
    with pytest.raises(PrivacyError, match=f"data key of subject {subjects[0]}: no key 'dev'"):
        names(subjects)


def test_keys_in_the_environment_are_rotated_by_the_operator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CREDO_MASTER_KEY", DEV_MASTER_KEY)
    assert runner.invoke(app, ["init"]).exit_code == 0
    subjects = store_people()
    refused = runner.invoke(app, ["keys", "rotate"])
    assert refused.exit_code == 1
    assert "CREDO_MASTER_KEY=NEW,OLD" in refused.stderr
    monkeypatch.setenv(
        "CREDO_MASTER_KEY", f"{base64.b64encode(secrets.token_bytes(32)).decode()},{DEV_MASTER_KEY}"
    )
    done = runner.invoke(app, ["keys", "rotate"])
    assert done.exit_code == 0, done.output
    assert "finished the rotation to master key env-" in done.stdout
    retire = runner.invoke(app, ["keys", "retire", "dev"])
    assert retire.exit_code == 1
    assert "remove it from CREDO_MASTER_KEY" in retire.stderr
    assert names(subjects) == [f"Person {i}" for i in range(PEOPLE)]


def test_keys_need_an_initialised_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "nothing"))
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "run `credo init`" in result.stderr
