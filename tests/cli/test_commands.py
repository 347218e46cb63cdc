"""The command line as a user meets it: exit codes, messages, JSON output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli.app import app

from factories import PERSON, event, write_jsonl

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("CREDO_HOME", str(home))
    return home


def credo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credo", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )


def test_init_creates_a_private_key_and_is_idempotent(env: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    (key,) = (env / "keys").glob("*.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0
    assert "created master key" not in again.output
    assert list((env / "keys").glob("*.key")) == [key]


def test_a_whole_session(env: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
    added = runner.invoke(
        app, ["source", "add", "bank", "--categories", "history,identity", "--reliability", "0.9"]
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["consent", "grant", PERSON, "history"]).exit_code == 0
    path = write_jsonl(tmp_path / "in.jsonl", [event("e1"), event("e2"), "{broken"])
    result = runner.invoke(
        app,
        [
            "ingest",
            str(path),
            "--source",
            "bank",
            "--json",
            "--rejects",
            str(tmp_path / "rejects.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["accepted"], report["rejected_by_reason"]) == (2, {"malformed": 1})
    summary = json.loads(runner.invoke(app, ["lake", "summary", "--json"]).stdout)
    assert (summary["events"], summary["by_source"]) == (2, {"bank": 2})
    listed = json.loads(runner.invoke(app, ["source", "list", "--json"]).stdout)
    assert listed[0]["name"] == "bank"
    assert listed[0]["reliability"] == 0.9
    shown = runner.invoke(app, ["consent", "show", PERSON])
    assert "history" in shown.output
    assert "granted" in shown.output
    compacted = runner.invoke(app, ["lake", "compact"])
    assert compacted.exit_code == 0
    assert "compacted" in compacted.output


def test_errors_are_messages_with_exit_codes(env: Path, tmp_path: Path) -> None:
    missing_home = credo("source", "list")
    assert missing_home.returncode == 1
    assert "run `credo init`" in missing_home.stderr
    assert "Traceback" not in missing_home.stderr
    assert credo("init", "--dev-key").returncode == 0
    bad_category = credo("source", "add", "bank", "--categories", "astrology")
    assert bad_category.returncode == 2
    assert "categories must be" in bad_category.stderr
    unknown = credo("ingest", str(tmp_path / "x.jsonl"), "--source", "nobody")
    assert unknown.returncode == 1
    assert "not registered" in unknown.stderr
    assert credo("source", "add", "bank", "--categories", "history").returncode == 0
    unreadable = credo("ingest", str(tmp_path / "absent.jsonl"), "--source", "bank")
    assert unreadable.returncode == 2
    assert "no such file" in unreadable.stderr


def test_stdin_ingest(env: Path) -> None:
    assert credo("init", "--dev-key").returncode == 0
    assert credo("source", "add", "bank", "--categories", "history").returncode == 0
    assert credo("consent", "grant", PERSON, "history").returncode == 0
    lines = "\n".join(json.dumps(event(f"e{i}")) for i in range(3)) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "credo", "ingest", "-", "--source", "bank", "--json"],
        input=lines,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 3


def test_schema_events_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema", "events"])
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "tie" in json.dumps(schema["discriminator"]["mapping"])
