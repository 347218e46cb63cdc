"""Score snapshots: one per monthly run, published atomically behind the ``current`` pointer.

A run writes its scores under its own run id while the previous snapshot keeps serving; the
switch is one transaction that marks the run published and moves the pointer. A run that fails
or is killed never becomes visible: the next run marks it ``interrupted`` and drops its rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, RowMapping, delete, func, insert, select, update

from credo.errors import NotFoundError
from credo.storage.db import insert_ignore
from credo.storage.tables import models, pointers, runs, scores

__all__ = ["CURRENT", "RunRecord", "ScoreRecord", "SnapshotStore"]

CURRENT = "current"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A monthly run."""

    id: int
    as_of: datetime
    model_id: int | None
    engine: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    """One person's score in one run (``score`` None means N/A, see ``na_reason``)."""

    run_id: int
    as_of: datetime
    subject: str
    score: int | None
    na_reason: str | None
    band: str | None
    percentile: float | None
    detail: dict[str, Any]


def _run(row: RowMapping) -> RunRecord:
    values = {name: row[name] for name in RunRecord.__slots__ if name != "summary"}
    return RunRecord(**values, summary=json.loads(row["summary"]))


class SnapshotStore:
    """Runs and their score snapshots in the operational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def begin(
        self, *, as_of: datetime, model_id: int | None, engine: str, started_at: datetime
    ) -> int:
        """Open a run (status ``running``); runs left ``running`` by a crash become
        ``interrupted`` and their unpublished rows are dropped."""
        with self._engine.begin() as conn:
            stale = select(runs.c.id).where(runs.c.status == "running")
            conn.execute(delete(scores).where(scores.c.run_id.in_(stale)))
            conn.execute(
                update(runs)
                .where(runs.c.status == "running")
                .values(status="interrupted", finished_at=started_at)
            )
            result = conn.execute(
                insert(runs).values(
                    as_of=as_of,
                    model_id=model_id,
                    engine=engine,
                    status="running",
                    started_at=started_at,
                    summary="{}",
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def write(self, run_id: int, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add score rows (subject, score, na_reason, band, percentile, detail dict)."""
        batch = [
            {
                "run_id": run_id,
                "subject": row["subject"],
                "score": row["score"],
                "na_reason": row.get("na_reason"),
                "band": row.get("band"),
                "percentile": row.get("percentile"),
                "detail": json.dumps(row.get("detail", {}), separators=(",", ":")),
            }
            for row in rows
        ]
        with self._engine.begin() as conn:
            insert_ignore(conn, scores, batch)

    def replace(self, run_id: int, subject: str, row: Mapping[str, Any] | None) -> None:
        """Put ``row`` (as :meth:`write` takes it) in place of ``subject``'s row in ``run_id``,
        in one transaction; ``None`` removes the row. A re-score of one person uses it."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(scores).where(scores.c.run_id == run_id, scores.c.subject == subject)
            )
            if row is not None:
                conn.execute(
                    insert(scores).values(
                        run_id=run_id,
                        subject=subject,
                        score=row["score"],
                        na_reason=row.get("na_reason"),
                        band=row.get("band"),
                        percentile=row.get("percentile"),
                        detail=json.dumps(row.get("detail", {}), separators=(",", ":")),
                    )
                )

    def rank(self, run_id: int, score: int, *, excluding: str) -> tuple[int, int]:
        """How many scored people of ``run_id`` other than ``excluding`` score below ``score``,
        and how many are scored: where a new score of one person falls among the others."""
        others = (scores.c.run_id == run_id) & (scores.c.subject != excluding)
        query = select(
            func.count().filter(scores.c.score < score), func.count(scores.c.score)
        ).where(others)
        with self._engine.connect() as conn:
            below, scored = conn.execute(query).one()
        return int(below), int(scored)

    def publish(self, run_id: int, *, summary: Mapping[str, Any], finished_at: datetime) -> None:
        """Mark the run published and point ``current`` at it, in one transaction."""
        with self._engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(status="published", finished_at=finished_at, summary=json.dumps(summary))
            )
            moved = conn.execute(
                update(pointers)
                .where(pointers.c.name == CURRENT)
                .values(run_id=run_id, updated_at=finished_at)
            )
            if moved.rowcount == 0:
                conn.execute(
                    insert(pointers).values(name=CURRENT, run_id=run_id, updated_at=finished_at)
                )

    def fail(self, run_id: int, *, reason: str, finished_at: datetime) -> None:
        """Record a failed run and drop its rows (the current snapshot keeps serving)."""
        with self._engine.begin() as conn:
            conn.execute(delete(scores).where(scores.c.run_id == run_id))
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status="failed", finished_at=finished_at, summary=json.dumps({"error": reason})
                )
            )

    def run(self, run_id: int) -> RunRecord:
        """The run ``run_id``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no run {run_id}")
        return _run(row)

    def current(self) -> RunRecord | None:
        """The published run being served, if any."""
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    select(runs)
                    .join(pointers, pointers.c.run_id == runs.c.id)
                    .where(pointers.c.name == CURRENT)
                )
                .mappings()
                .first()
            )
        return None if row is None else _run(row)

    def published(self) -> list[RunRecord]:
        """The latest published run of each as-of date, oldest first."""
        with self._engine.connect() as conn:
            latest = (
                select(func.max(runs.c.id))
                .where(runs.c.status == "published")
                .group_by(runs.c.as_of)
            )
            rows = (
                conn.execute(select(runs).where(runs.c.id.in_(latest)).order_by(runs.c.as_of))
                .mappings()
                .all()
            )
        return [_run(row) for row in rows]

    def runs(self) -> list[RunRecord]:
        """Every run, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.id.desc())).mappings().all()
        return [_run(row) for row in rows]

    def score(self, subject: str, run_id: int | None = None) -> ScoreRecord | None:
        """``subject``'s row in ``run_id`` (default: the current snapshot)."""
        run = self.current() if run_id is None else self.run(run_id)
        if run is None:
            return None
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    select(scores).where(scores.c.run_id == run.id, scores.c.subject == subject)
                )
                .mappings()
                .first()
            )
        return None if row is None else _score(row, run.as_of)

    def history(self, subject: str) -> list[ScoreRecord]:
        """``subject``'s scores over the published runs, oldest first."""
        published = {run.id: run.as_of for run in self.published()}
        if not published:
            return []
        with self._engine.connect() as conn:
            rows = (
                conn.execute(
                    select(scores).where(
                        scores.c.subject == subject, scores.c.run_id.in_(list(published))
                    )
                )
                .mappings()
                .all()
            )
        found = [_score(row, published[row["run_id"]]) for row in rows]
        return sorted(found, key=lambda record: record.as_of)

    def scored_months(self, before: datetime) -> dict[str, int]:
        """Per person, how many published monthly snapshots before ``before`` scored them."""
        published = [run.id for run in self.published() if run.as_of < before]
        if not published:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(scores.c.subject, func.count())
                .where(scores.c.run_id.in_(published), scores.c.score.is_not(None))
                .group_by(scores.c.subject)
            ).all()
        return {subject: int(count) for subject, count in rows}

    def details(
        self, run_id: int, subjects: Sequence[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """The detail documents in ``run_id`` (of ``subjects`` only, when given)."""
        query = select(scores.c.subject, scores.c.detail).where(scores.c.run_id == run_id)
        found: dict[str, dict[str, Any]] = {}
        with self._engine.connect() as conn:
            if subjects is None:
                rows = conn.execute(query).all()
                return {subject: json.loads(detail) for subject, detail in rows}
            for start in range(0, len(subjects), 5_000):  # under every driver's parameter cap
                part = subjects[start : start + 5_000]
                for subject, detail in conn.execute(query.where(scores.c.subject.in_(part))):
                    found[subject] = json.loads(detail)
        return found

    def table(self, run_id: int) -> pa.Table:
        """Every person's subject, score, band and percentile in ``run_id`` (Arrow)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(scores.c.subject, scores.c.score, scores.c.band, scores.c.percentile)
                .where(scores.c.run_id == run_id)
                .order_by(scores.c.subject)
            ).all()
        columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) or [(), (), (), ()]
        return pa.table(
            {
                "subject": pa.array(columns[0], pa.string()),
                "score": pa.array(columns[1], pa.int64()),
                "band": pa.array(columns[2], pa.string()),
                "percentile": pa.array(columns[3], pa.float64()),
            }
        )

    def model_version(self, run_id: int) -> str | None:
        """The version of the model that scored run ``run_id`` (None when unknown)."""
        query = (
            select(models.c.version)
            .select_from(runs.join(models, models.c.id == runs.c.model_id))
            .where(runs.c.id == run_id)
        )
        with self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else str(found)


def _score(row: RowMapping, as_of: datetime) -> ScoreRecord:
    return ScoreRecord(
        run_id=row["run_id"],
        as_of=as_of,
        subject=row["subject"],
        score=row["score"],
        na_reason=row["na_reason"],
        band=row["band"],
        percentile=row["percentile"],
        detail=json.loads(row["detail"]),
    )
