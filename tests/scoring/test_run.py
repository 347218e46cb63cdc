"""The monthly run: everyone scored or N/A, bands, reasons, privileges, history, atomicity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.errors import NotFoundError
from credo.home import Home
from credo.model.artifact import loads
from credo.scoring import run as run_module
from credo.scoring.bands import band_of
from credo.scoring.run import RunSummary

AUGUST = datetime(2026, 9, 1, tzinfo=UTC)  # the end of 2026-08-31
SEPTEMBER = datetime(2026, 10, 1, tzinfo=UTC)


def score_month(home: Home, as_of: object) -> RunSummary:
    assert isinstance(as_of, datetime)
    return home.monthly_run(as_of)


def test_a_run_scores_everyone_or_says_why_not(trained: Home) -> None:
    summary = score_month(trained, AUGUST)
    current = trained.snapshots.current()
    assert current is not None
    assert current.id == summary.run_id
    table = trained.snapshots.table(summary.run_id).to_pandas()
    assert len(table) == summary.people == summary.scored + summary.not_scored
    assert summary.scored > 600
    scored = table.dropna(subset=["score"])
    assert scored["score"].between(350, 950).all()
    assert (scored["band"] == band_of(scored["score"], trained.settings.scoring.bands)).all()
    assert scored["percentile"].between(0, 100).all()
    assert sum(summary.bands.values()) == summary.scored
    for subject in table.loc[table["score"].isna(), "subject"]:
        record = trained.snapshots.score(subject)
        assert record is not None
        assert record.na_reason == "fewer than 6 months of history and no credit event"


def test_reasons_raise_and_privileges_agree_with_the_points(trained: Home) -> None:
    summary = score_month(trained, AUGUST)
    active = trained.models.active()
    assert active is not None
    # reasons measure against the best regular bin (Special and Missing are the last two)
    best = {
        f["name"]: max(b["points"] for b in f["bins"][:-2])
        for f in loads(active.artifact)["features"]
    }
    details = trained.snapshots.details(summary.run_id)
    scores = trained.snapshots.table(summary.run_id).to_pandas().set_index("subject")["score"]
    checked = 0
    for subject, detail in details.items():
        if not detail:
            continue
        lost = [r["points_lost"] for r in detail["reasons"]]
        assert lost == sorted(lost, reverse=True)
        assert len(lost) <= 4
        assert all(x > 0 for x in lost)
        for reason in detail["reasons"]:
            expected = best[reason["characteristic"]] - detail["points"][reason["characteristic"]]
            assert reason["points_lost"] == pytest.approx(expected, abs=0.06)
        assert set(detail["dims"]) <= {"history", "capacity", "identity", "behavior", "network"}
        lift = detail["raise"]
        if lift is not None:
            assert lift["new_score"] >= lift["target"] > scores[subject]
        held = set(detail["privileges"]["held"])
        assert ("deposit_free_power_bank" in held) == (scores[subject] >= 600)
        assert ("deposit_free_device_rental" in held) == (scores[subject] >= 700)
        checked += 1
    assert checked == summary.scored


def test_the_next_month_keeps_history_and_explains_the_change(trained: Home) -> None:
    first = score_month(trained, AUGUST)
    second = score_month(trained, SEPTEMBER)
    assert second.previous_as_of == AUGUST
    assert second.mean_change is not None
    details = trained.snapshots.details(second.run_id)
    moved = [d for d in details.values() if d and d["change"] and d["change"]["movers"]]
    assert moved, "no one's characteristics moved between two months"
    subject = next(s for s, d in details.items() if d)
    history = trained.snapshots.history(subject)
    assert [h.run_id for h in history] == [first.run_id, second.run_id]


def test_a_failed_run_leaves_the_previous_snapshot_serving(
    trained: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = score_month(trained, AUGUST)

    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(run_module, "_score_to_file", broken)
    with pytest.raises(OSError, match="disk full"):
        score_month(trained, SEPTEMBER)
    current = trained.snapshots.current()
    assert current is not None
    assert current.id == first.run_id
    failed = trained.snapshots.runs()[0]
    assert (failed.status, failed.summary) == ("failed", {"error": "OSError: disk full"})


def test_no_active_model_is_a_clear_error(untrained: Home) -> None:
    with pytest.raises(NotFoundError, match="credo train --as-of"):
        score_month(untrained, AUGUST)


def test_the_command_trains_a_model_first_when_none_is_active(untrained: Home) -> None:
    env = {"CREDO_HOME": str(untrained.settings.home)}
    result = CliRunner().invoke(app, ["run", "--as-of", "2026-08-31"], env=env)
    assert result.exit_code == 0, result.output
    assert "no active model: training one first, as of 2025-10-31" in result.output
    assert "people scored" in result.output
    assert untrained.models.active() is not None


@pytest.mark.slow
def test_a_killed_run_never_serves_and_is_marked_interrupted(trained: Home) -> None:
    first = score_month(trained, AUGUST)
    env = dict(os.environ, CREDO_HOME=str(trained.settings.home))
    process = subprocess.Popen(
        [sys.executable, "-m", "credo", "run", "--as-of", "2026-09-30"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(r.status == "running" for r in trained.snapshots.runs()):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed: test too weak"
    time.sleep(1.0)  # well into the run: characteristics are being computed
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = trained.snapshots.runs()[0]
    assert killed.status == "running"
    current = trained.snapshots.current()
    assert current is not None
    assert current.id == first.run_id
    assert trained.snapshots.score(trained.snapshots.table(first.run_id)["subject"][0].as_py())
    again = score_month(trained, SEPTEMBER)
    assert trained.snapshots.run(killed.id).status == "interrupted"
    assert trained.snapshots.table(killed.id).num_rows == 0
    current = trained.snapshots.current()
    assert current is not None
    assert current.id == again.run_id


def test_runs_command_lists_the_current_run(trained: Home, tmp_path: Path) -> None:
    score_month(trained, AUGUST)
    env = {"CREDO_HOME": str(trained.settings.home)}
    result = CliRunner().invoke(app, ["runs"], env=env)
    assert result.exit_code == 0, result.output
    assert "published (current)" in result.output


def test_the_same_inputs_and_model_give_the_same_snapshot(trained: Home) -> None:
    first = score_month(trained, AUGUST)
    second = score_month(trained, AUGUST)
    assert first.run_id != second.run_id
    assert trained.snapshots.table(first.run_id).equals(trained.snapshots.table(second.run_id))
    assert trained.snapshots.details(first.run_id) == trained.snapshots.details(second.run_id)
    assert [
        h.run_id
        for h in trained.snapshots.history(
            trained.snapshots.table(second.run_id)["subject"][0].as_py()
        )
    ] == [second.run_id]
