"""Runs publish their snapshot atomically; unfinished runs never serve."""

from __future__ import annotations

from datetime import UTC, datetime

from credo.home import Home
from credo.storage.snapshots import SnapshotStore

OCT = datetime(2026, 11, 1, tzinfo=UTC)
NOV = datetime(2026, 12, 1, tzinfo=UTC)


def row(subject: str, score: int | None, **detail: object) -> dict[str, object]:
    band = None if score is None else ("good" if score >= 600 else "poor")
    return {"subject": subject, "score": score, "band": band, "percentile": 50.0, "detail": detail}


def publish(store: SnapshotStore, as_of: datetime, rows: list[dict[str, object]]) -> int:
    run = store.begin(as_of=as_of, model_id=None, engine="duckdb", started_at=as_of)
    store.write(run, rows)
    store.publish(run, summary={"scored": len(rows)}, finished_at=as_of)
    return run


def test_nothing_is_served_before_the_first_published_run(ready: Home) -> None:
    store = ready.snapshots
    run = store.begin(as_of=OCT, model_id=None, engine="duckdb", started_at=OCT)
    store.write(run, [row("s1", 640)])
    assert store.current() is None
    assert store.score("s1") is None


def test_a_published_run_serves_and_keeps_history(ready: Home) -> None:
    store = ready.snapshots
    publish(store, OCT, [row("s1", 640, reasons=["r1"]), row("s2", None)])
    second = publish(store, NOV, [row("s1", 655)])
    current = store.current()
    assert current is not None
    assert (current.id, current.status, current.summary) == (second, "published", {"scored": 1})
    record = store.score("s1")
    assert record is not None
    assert (record.score, record.band, record.as_of) == (655, "good", NOV)
    assert [(h.as_of, h.score) for h in store.history("s1")] == [(OCT, 640), (NOV, 655)]
    assert store.history("s2")[0].score is None
    assert store.score("s1", run_id=second - 1) is not None


def test_a_crashed_run_leaves_the_previous_snapshot_serving(ready: Home) -> None:
    store = ready.snapshots
    first = publish(store, OCT, [row("s1", 640)])
    crashed = store.begin(as_of=NOV, model_id=None, engine="duckdb", started_at=NOV)
    store.write(crashed, [row("s1", 300)])
    current = store.current()
    assert current is not None
    assert current.id == first
    store.begin(as_of=NOV, model_id=None, engine="duckdb", started_at=NOV)
    assert store.run(crashed).status == "interrupted"
    assert store.table(crashed).num_rows == 0
    assert [h.score for h in store.history("s1")] == [640]


def test_a_failed_run_is_recorded_and_dropped(ready: Home) -> None:
    store = ready.snapshots
    run = store.begin(as_of=OCT, model_id=None, engine="duckdb", started_at=OCT)
    store.write(run, [row("s1", 640)])
    store.fail(run, reason="model missing", finished_at=OCT)
    failed = store.run(run)
    assert (failed.status, failed.summary) == ("failed", {"error": "model missing"})
    assert store.table(run).num_rows == 0


def test_rerunning_a_month_replaces_it_in_the_history(ready: Home) -> None:
    store = ready.snapshots
    publish(store, OCT, [row("s1", 640)])
    publish(store, OCT, [row("s1", 650)])
    assert [h.score for h in store.history("s1")] == [650]
    table = store.table(store.published()[-1].id)
    assert table.to_pylist() == [
        {"subject": "s1", "score": 650, "band": "good", "percentile": 50.0}
    ]
