"""A killed ingest leaves the lake at the previous version or the new one, never in between."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from credo.consent.collection import ConsentChange
from credo.storage.tables import ingest_runs

from factories import PERSON, make_home

ROWS = 200_000


def write_events(path: Path, rows: int) -> None:
    with path.open("w") as handle:
        for i in range(rows):
            handle.write(
                json.dumps(
                    {
                        "event_id": f"e{i}",
                        "subject": PERSON,
                        "type": "purchase",
                        "occurred_at": f"2026-{1 + i % 9:02d}-05T08:00:00Z",
                        "payload": {
                            "amount_minor": 100 + i,
                            "currency": "CNY",
                            "merchant_category": "grocery",
                        },
                    }
                )
                + "\n"
            )


def run_ingest(home_dir: Path, path: Path, *, capture: bool = True) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CREDO_HOME=str(home_dir), CREDO_INGEST__BATCH_ROWS="2000")
    pipe = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "credo", "ingest", str(path), "--source", "shop", "--json"],
        env=env,
        stdout=pipe,
        stderr=pipe,
    )


@pytest.mark.slow
def test_killed_ingest_leaves_no_partial_version(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.sources.add("shop", ["behavior"])
    home.consents.record([ConsentChange(PERSON, "behavior", "grant", home.clock.now())])
    path = tmp_path / "events.jsonl"
    write_events(path, ROWS)
    before = home.lake.version()

    process = run_ingest(home.settings.home, path, capture=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the ingest is under way, then kill it
        with home.engine.connect() as conn:
            running = conn.execute(select(ingest_runs.c.status)).scalars().all()
        if running:
            break
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    after = home.lake.summary()
    # atomic: either nothing or everything (the machine may have been fast enough to commit)
    assert (after.version, after.events) in {(before, 0), (before + 1, ROWS)}
    assert after.version == before, "the ingest finished before it was killed: test too weak"

    finished = run_ingest(home.settings.home, path)
    stdout, stderr = finished.communicate(timeout=300)
    assert finished.returncode == 0, stderr.decode()
    report = json.loads(stdout)
    assert (report["accepted"], report["duplicates"]) == (ROWS, 0)
    assert home.lake.summary().events == ROWS
    with home.engine.connect() as conn:
        statuses = conn.execute(select(ingest_runs.c.status).order_by(ingest_runs.c.id)).scalars()
        assert list(statuses) == ["interrupted", "done"]
    home.dispose()
