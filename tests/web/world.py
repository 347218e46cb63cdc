"""The dashboard's world: a scored person with a month of history, another person, a partner
waiting for an answer, records to dispute, and an operator token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from credo.consent.collection import ConsentChange
from credo.events.schemas import CATEGORIES
from credo.home import Home

from factories import NOW, OTHER, PERSON, event, score_detail

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "another long enough password"
PARTNER = "acme"


@dataclass(frozen=True)
class World:
    """A populated home and the credentials and ids the tests use."""

    home: Home
    partner_key: str
    operator_token: str
    request_id: int
    """PERSON's pending request from the partner (scope threshold)."""
    other_request_id: int
    """OTHER's pending request from the partner."""


def _detail(score: int) -> dict[str, Any]:
    """A detail document with all five dimensions (the factory's has four)."""
    detail = score_detail(score, {"hist_utilisation": 31.2}, None, worst_dpd=35.0)
    detail["dims"] = {**detail["dims"], "network": 47.5}
    return detail


def _publish(home: Home) -> None:
    """Two monthly runs: PERSON 628 then 640 (good), OTHER 702 (excellent) in the second."""
    metrics = {
        "test": {"auc": 0.812, "ks": 0.451, "gini": 0.624, "brier": 0.108},
        "challenger": {"auc": 0.829},
        "psi": {"score": 0.021},
    }
    artifact = {"metrics": metrics, "training": {"rows": 5000, "bad_rate": 0.12}, "features": []}
    model = home.models.register(
        artifact=json.dumps(artifact),
        sha256="b" * 64,
        kind="scorecard",
        created_at=NOW,
        origin="test",
    )
    person, other = home.tokeniser.subject(PERSON), home.tokeniser.subject(OTHER)
    earlier = NOW - timedelta(days=31)
    for as_of, rows, summary in (
        (
            earlier,
            [{"subject": person, "score": 628, "band": "good", "percentile": 66.0}],
            {"scored": 1, "not_scored": 0, "bands": {"good": 1}},
        ),
        (
            NOW,
            [
                {"subject": person, "score": 640, "band": "good", "percentile": 70.0},
                {"subject": other, "score": 702, "band": "excellent", "percentile": 91.0},
            ],
            {
                "scored": 2,
                "not_scored": 0,
                "bands": {"good": 1, "excellent": 1},
                "mean_score": 671.0,
                "mean_change": 12.0,
                "model_version": model.version,
            },
        ),
    ):
        run = home.snapshots.begin(
            as_of=as_of, model_id=model.id, engine="duckdb", started_at=as_of
        )
        home.snapshots.write(run, [{**r, "detail": _detail(int(r["score"]))} for r in rows])
        home.snapshots.publish(run, summary=summary, finished_at=as_of)


def _records(home: Home) -> None:
    """Three records of PERSON's from the bank, one of OTHER's."""
    home.sources.add("bank", CATEGORIES, reliability=0.95)
    home.consents.record(
        ConsentChange(identifier=who, category=c, action="grant", at=NOW)
        for c in CATEGORIES
        for who in (PERSON, OTHER)
    )
    records = [
        event("bank-r1", "repayment", source="bank", days_past_due=35),
        event("bank-l1", "loan_opened", source="bank", occurred_at="2026-06-01T08:00:00Z"),
        event("bank-p1", "purchase", source="bank", occurred_at="2026-09-12T10:00:00Z"),
        event("bank-o1", "purchase", source="bank", subject=OTHER),
    ]
    report = home.ingestor().ingest_records(records, source="bank")
    assert report.accepted == len(records), report.rejected_records


def populate(home: Home) -> World:
    """Fill ``home`` with what the dashboard shows."""
    _records(home)
    _publish(home)
    partner, key = home.partners.add(PARTNER, ["lending", "rental"])
    mine = home.grants.request(partner, PERSON, purpose="lending", duration_days=60)
    theirs = home.grants.request(partner, OTHER, purpose="rental")
    home.people.set_password(PERSON, PASSWORD)
    home.people.set_password(OTHER, OTHER_PASSWORD)
    return World(
        home=home,
        partner_key=key,
        operator_token=home.people.issue_operator_token(hours=2),
        request_id=mine.id,
        other_request_id=theirs.id,
    )
