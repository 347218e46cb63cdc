"""What the operator page shows: the run being served against the month before, the active
model's headline metrics, the sources' reliability and the disputes still open, by age.

Read from the same stores the ``/v1/admin`` routes and ``credo runs`` / ``credo model`` read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from credo.home import Home
from credo.rights.disputes import Dispute
from credo.storage.registry import ModelRecord
from credo.storage.snapshots import RunRecord
from credo.web.render import band_slot

__all__ = [
    "AGE_BUCKETS",
    "BAR_WIDTH",
    "BandRow",
    "age_buckets",
    "band_rows",
    "model_summary",
    "operator_context",
]

BAR_WIDTH = 260.0
"""Width in SVG units of a bar holding everyone."""
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("under 7 days", 0, 7),
    ("7 to 13 days", 7, 14),
    ("14 to 20 days", 14, 21),
    ("21 days or more", 21, None),
)
"""(label, from day, to day exclusive) of an open dispute's age."""


@dataclass(frozen=True, slots=True)
class BandRow:
    """One band (or N/A) of a run: how many people, the change since the month before, and
    the bar's width."""

    name: str
    name_zh: str
    slot: int | None
    people: int
    change: int | None
    width: float


def _count(summary: Mapping[str, Any], name: str | None) -> int:
    if name is None:
        return int(summary.get("not_scored", summary.get("na", 0)) or 0)
    return int((summary.get("bands") or {}).get(name, 0) or 0)


def band_rows(
    bands: Sequence[tuple[str, str]],
    summary: Mapping[str, Any],
    before: Mapping[str, Any] | None,
) -> list[BandRow]:
    """Each band of ``bands`` ((name, Chinese name), lowest first), then N/A, with counts from
    a run's ``summary`` and changes against ``before`` (the previous run's summary)."""
    names: list[tuple[str | None, str]] = [*bands, (None, "")]
    counts = [_count(summary, name) for name, _ in names]
    total = sum(counts) or 1
    rows = []
    for index, ((name, name_zh), people) in enumerate(zip(names, counts, strict=True)):
        change = None if before is None else people - _count(before, name)
        rows.append(
            BandRow(
                name=name or "N/A",
                name_zh=name_zh,
                slot=None if name is None else band_slot(index, len(bands)),
                people=people,
                change=change,
                width=round(BAR_WIDTH * people / total, 2),
            )
        )
    return rows


def age_buckets(disputes: Sequence[Dispute], now: datetime) -> list[tuple[str, int]]:
    """How many of ``disputes`` were opened how long before ``now`` (:data:`AGE_BUCKETS`)."""
    counts = []
    for label, start, end in AGE_BUCKETS:
        opened_after = None if end is None else now - timedelta(days=end)
        opened_by = now - timedelta(days=start)
        counts.append(
            (
                label,
                sum(
                    1
                    for d in disputes
                    if d.opened_at <= opened_by
                    and (opened_after is None or d.opened_at > opened_after)
                ),
            )
        )
    return counts


def model_summary(record: ModelRecord) -> dict[str, Any]:
    """The headline of a model: version, training date and size, and its metrics on the
    held-out sample beside the challenger's."""
    document = json.loads(record.artifact)
    metrics = document.get("metrics") or {}
    test = metrics.get("test") or {}
    training = document.get("training") or {}
    return {
        "version": record.version,
        "kind": record.kind,
        "created_at": record.created_at,
        "trained_as_of": record.trained_as_of,
        "rows": training.get("rows"),
        "bad_rate": training.get("bad_rate"),
        "auc": test.get("auc", record.auc),
        "ks": test.get("ks"),
        "gini": test.get("gini"),
        "brier": test.get("brier"),
        "challenger_auc": (metrics.get("challenger") or {}).get("auc"),
        "score_psi": (metrics.get("psi") or {}).get("score"),
        "characteristics": len(document.get("features") or []),
    }


def _previous(home: Home, current: RunRecord) -> RunRecord | None:
    earlier = [r for r in home.snapshots.published() if r.as_of < current.as_of]
    return earlier[-1] if earlier else None


def operator_context(home: Home) -> dict[str, Any]:
    """Everything the operator page shows."""
    now = home.clock.now()
    current = home.snapshots.current()
    previous = None if current is None else _previous(home, current)
    bands = [(b.name, b.name_zh) for b in home.settings.scoring.bands]
    rows = (
        []
        if current is None
        else band_rows(bands, current.summary, None if previous is None else previous.summary)
    )
    model = home.models.active()
    report = None
    if model is not None and (home.settings.home / "reports" / f"{model.version}.html").exists():
        report = "/operator/model-report"
    sources = home.sources.all()
    open_disputes = {s.name: home.disputes.for_source(s.name) for s in sources}
    waiting = [d for found in open_disputes.values() for d in found]
    return {
        "current": current,
        "previous": previous,
        "band_rows": rows,
        "bar_width": BAR_WIDTH,
        "runs": home.snapshots.runs()[:6],
        "model": None if model is None else model_summary(model),
        "report": report,
        "sources": sources,
        "open_disputes": {name: len(found) for name, found in open_disputes.items()},
        "ages": age_buckets(waiting, now),
        "oldest_due": min((d.due_at for d in waiting), default=None),
        "waiting": len(waiting),
    }
