"""The registry's side of reliability: declared priors, pins, stored estimates, the audit chain,
and the home estimating from its own lake."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from credo.errors import InvalidInputError, NotFoundError
from credo.events.reliability import estimate_reliability
from credo.home import Home
from credo.storage.db import connect, migrate
from credo.storage.tables import reliability_estimates, sources

from factories import NOW, event, write_jsonl


def test_the_declared_reliability_is_kept_as_the_prior(ready: Home) -> None:
    bank = ready.sources.get("bank")
    assert (bank.reliability, bank.reliability_declared, bank.reliability_pinned) == (
        0.95,
        0.95,
        False,
    )


def test_pin_fixes_the_weight_and_is_audited(ready: Home) -> None:
    pinned = ready.sources.pin("bank", 0.5, audit=ready.audit)
    assert (pinned.reliability, pinned.reliability_pinned) == (0.5, True)
    (entry,) = ready.audit.entries()
    assert (entry.actor, entry.action, entry.subject) == (
        "operator",
        "source.reliability.pinned",
        None,
    )
    assert entry.detail == {"source": "bank", "from": 0.95, "to": 0.5}
    unpinned = ready.sources.unpin("bank", audit=ready.audit)
    assert (unpinned.reliability, unpinned.reliability_pinned) == (0.5, False)
    assert ready.audit.verify().ok


def test_pin_refuses_a_bad_value_or_an_unknown_source(ready: Home) -> None:
    with pytest.raises(InvalidInputError, match=r"reliability must be in \(0, 1\], got 1.5"):
        ready.sources.pin("bank", 1.5, audit=ready.audit)
    with pytest.raises(NotFoundError, match="source 'nobody' is not registered"):
        ready.sources.pin("nobody", 0.5, audit=ready.audit)
    with pytest.raises(NotFoundError, match="source 'nobody' is not registered"):
        ready.sources.unpin("nobody", audit=ready.audit)
    assert ready.audit.count() == 0


def test_apply_stores_estimates_but_keeps_pinned_weights(ready: Home) -> None:
    ready.sources.add("shop", "behavior", reliability=0.8)
    ready.sources.pin("shop", 0.6, audit=ready.audit)
    bank, shop = estimate_reliability(ready.sources.find(["bank", "shop"]).values(), [])
    bank = replace(bank, estimate=0.7)
    applied = ready.sources.apply_estimates([bank, shop], audit=ready.audit)
    assert applied.weights == {"bank": (0.95, 0.7)}
    assert applied.pinned == ("shop",)
    assert {s.name: s.reliability for s in ready.sources.all()} == {"bank": 0.7, "shop": 0.6}
    stored = ready.sources.last_estimates()
    assert (stored["bank"].estimate, stored["bank"].applied) == (0.7, True)
    assert (stored["shop"].estimate, stored["shop"].applied) == (pytest.approx(0.8), False)
    assert stored["bank"].estimated_at == NOW
    entry = ready.audit.entries()[-1]
    assert (entry.action, entry.subject) == ("source.reliability", None)
    assert entry.detail == {
        "estimated": 2,
        "weights": {"bank": {"from": 0.95, "to": 0.7}},
        "pinned": ["shop"],
    }
    assert ready.audit.verify().ok


def test_stored_evidence_is_plain_counts(ready: Home) -> None:
    estimates = estimate_reliability(ready.sources.all(), [])
    ready.sources.apply_estimates(estimates, audit=ready.audit)
    ready.sources.apply_estimates(estimates, audit=ready.audit)
    with ready.engine.connect() as conn:
        rows = conn.execute(select(reliability_estimates)).mappings().all()
    assert [row["source"] for row in rows] == ["bank", "bank"]
    evidence = json.loads(rows[-1]["evidence"])
    assert evidence["declared"] == 0.95
    assert evidence["facts"] == 0
    assert ready.sources.last_estimates()["bank"].estimated_at == NOW


def test_a_home_estimates_from_its_lake(ready: Home, tmp_path: Path) -> None:
    ready.sources.add("telco", "identity", reliability=0.8)
    profile = event("p1", "profile_update", occurred_at="2026-09-01T08:00:00Z")
    for source in ("bank", "telco"):
        path = write_jsonl(tmp_path / f"{source}.jsonl", [{**profile, "source": source}])
        assert ready.ingestor().ingest([str(path)], source=source).accepted == 1
    bank, telco = ready.source_reliability()
    assert (telco.facts, telco.agreeing) == (5, 5)  # name, national id, phone, address, email
    assert telco.estimate > 0.8  # identity is all it sends, and all of it was confirmed
    assert bank.set_by != "identity"  # what nothing checked keeps the declared prior
    assert bank.estimate == pytest.approx(0.95)


def test_migrating_keeps_an_old_source_reliability_as_declared(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0005")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sources (name, categories, reliability, reliability_pinned, "
            "description, created_at) VALUES ('bank', 'history', 0.7, 0, '', '2026-01-01')"
        )
    migrate(engine)
    with engine.begin() as conn:
        row = conn.execute(select(sources)).mappings().one()
        assert (row["reliability"], row["reliability_declared"]) == (0.7, 0.7)
        conn.execute(
            insert(reliability_estimates).values(
                source="bank",
                estimated_at=NOW,
                estimate=0.5,
                previous=0.7,
                applied=True,
                evidence="{}",
            )
        )
    engine.dispose()
