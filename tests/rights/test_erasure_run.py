"""After an erasure, the next monthly run purges the lake first, scores nobody by the erased
person's token, and scores their former ties without them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow.dataset as ds
import pytest

from credo.features.build import characteristics_expr
from credo.features.engines import DuckDBFeatureEngine
from credo.home import Home
from credo.settings import DuckDBEngine

AUGUST = datetime(2026, 9, 1, tzinfo=UTC)
SEPTEMBER = datetime(2026, 10, 1, tzinfo=UTC)


def network(home: Home, subjects: set[str]) -> dict[str, Any]:
    """``net_ties`` of ``subjects`` as of September (0 for no live tie)."""
    reliability = {s.name: s.reliability for s in home.sources.all()}
    engine = DuckDBFeatureEngine(DuckDBEngine())
    try:
        rows = engine.execute(
            characteristics_expr(
                engine.events(home.lake),
                SEPTEMBER,
                reliability=reliability,
                known_at=home.clock.now(),  # events were ingested after September
            )
        ).to_pylist()
    finally:
        engine.close()
    return {r["subject"]: r["net_ties"] or 0.0 for r in rows if r["subject"] in subjects}


def most_tied(home: Home) -> tuple[str, set[str]]:
    """The person others declared most live ties to before September, and those others
    (brute force over the raw tie events: the latest event of each pair decides)."""
    ties = home.lake.dataset().to_table(
        columns=["subject", "counterpart", "action", "occurred_at"],
        filter=(ds.field("type") == "tie") & (ds.field("occurred_at") < SEPTEMBER),
    )
    latest: dict[tuple[str, str], tuple[datetime, str]] = {}
    for row in ties.to_pylist():
        pair = (row["subject"], row["counterpart"])
        if pair not in latest or latest[pair][0] <= row["occurred_at"]:
            latest[pair] = (row["occurred_at"], row["action"])
    live: dict[str, set[str]] = {}
    for (subject, counterpart), (_at, action) in latest.items():
        if action == "add":
            live.setdefault(counterpart, set()).add(subject)
    person = max(sorted(live), key=lambda p: len(live[p]))
    return person, live[person]


@pytest.mark.slow
def test_the_next_run_scores_former_ties_without_the_erased(trained: Home) -> None:
    home = trained
    home.monthly_run(AUGUST)
    person, tied = most_tied(home)
    before = network(home, tied)
    tied = {other for other in tied if before.get(other)}  # those with characteristics
    assert len(tied) >= 2
    assert home.snapshots.score(person) is not None

    with home.lake.reading():  # a run is reading: the purge waits for the next run
        erasure = home.erasures.erase(person, actor="operator", wait=False)
    assert erasure.purge is None
    assert home.erasures.pending() == 1
    assert home.snapshots.score(person) is None  # gone from every run at once

    summary = home.monthly_run(SEPTEMBER)

    assert home.erasures.pending() == 0
    names = (ds.field("subject") == person) | (ds.field("counterpart") == person)
    assert home.lake.dataset().count_rows(filter=names) == 0
    assert person not in set(home.snapshots.table(summary.run_id)["subject"].to_pylist())
    after = network(home, tied)
    for other in tied:
        if before[other] < 30:  # the cap
            assert after.get(other, 0.0) < before[other], other
    assert home.audit.verify().ok
