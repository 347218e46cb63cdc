"""What a person's page shows, read through the same functions the ``/v1/me`` routes answer
with (:mod:`credo.api.me`), plus the chart geometry (:mod:`credo.web.charts`).

The page and the API cannot drift apart: a score, a grant or a dispute is turned into the
API's response model by the API's own function, and the page renders that model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credo.api.me import (  # the /v1/me routes' own readers: one path to a person's data
    access_log_out,
    consents_out,
    dispute_out,
    grant_out,
    history_out,
    privileges_out,
    score_report_out,
)
from credo.api.me_models import ConsentOut, GrantOut
from credo.events.schemas import CATEGORIES
from credo.home import Home
from credo.loyalty.catalogue import Catalogue
from credo.web.charts import dial, history_chart, radar
from credo.web.render import band_slot

__all__ = [
    "DIMENSIONS",
    "ConsentRow",
    "person_context",
    "records_context",
]

DIMENSIONS: Mapping[str, tuple[str, str]] = {
    "history": ("History", "Credit history: past repayments and debt level"),
    "capacity": ("Capacity", "Fulfilment capacity: income, balances, contracts kept"),
    "identity": ("Identity", "Personal characteristics: verified, complete, consistent"),
    "behavior": ("Behaviour", "Behaviour and preferences: stable, regular spending"),
    "network": ("Network", "Relationships: the standing of your ties"),
}
"""Each dimension's short label (the radar's axes) and what it measures."""
ACCESS_LOG_ROWS = 50
RECORDS_SHOWN = 300


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """A data category's collection choice for every source, and the sources set apart."""

    category: str
    label: str
    granted: bool
    since: datetime | None
    by_source: list[ConsentOut] = field(default_factory=list)


def _consent_rows(consents: Sequence[ConsentOut]) -> list[ConsentRow]:
    rows = []
    for category in CATEGORIES:
        everyone = next((c for c in consents if c.category == category and c.source == "*"), None)
        rows.append(
            ConsentRow(
                category=category,
                label=DIMENSIONS[category][1].split(":")[0],
                granted=everyone is not None and everyone.granted,
                since=None if everyone is None else everyone.since,
                by_source=[c for c in consents if c.category == category and c.source != "*"],
            )
        )
    return rows


def _grants(grants: Sequence[GrantOut]) -> dict[str, list[GrantOut]]:
    return {
        "pending": [g for g in grants if g.status == "pending"],
        "active": [g for g in grants if g.status == "approved"],
        "past": [g for g in grants if g.status not in {"pending", "approved"}],
    }


def person_context(home: Home, catalogue: Catalogue, subject: str) -> dict[str, Any]:
    """Everything the person's page shows, for the person with token ``subject``."""
    bands = home.settings.scoring.bands
    bounds = [(b.low, b.high) for b in bands]
    record = home.snapshots.score(subject)
    report = None if record is None else score_report_out(home, record)
    slot = None
    if report is not None and report.band is not None:
        names = [b.name for b in bands]
        if report.band.name in names:
            slot = band_slot(names.index(report.band.name), len(bands))
    months = history_out(home.snapshots.history(subject)).months
    dims = {} if report is None else report.dimensions
    return {
        "report": report,
        "slot": slot,
        "dial": dial(None if report is None else report.score, bounds),
        "radar": radar([(DIMENSIONS[d][0], dims.get(d)) for d in DIMENSIONS]),
        "dimensions": [(DIMENSIONS[d][0], DIMENSIONS[d][1], dims.get(d)) for d in DIMENSIONS],
        "months": months,
        "history": history_chart([m.score for m in months], bounds),
        "privileges": None if record is None else privileges_out(catalogue, record),
        "consents": _consent_rows(consents_out(home, subject).consents),
        "grants": _grants([grant_out(g, home) for g in home.grants.grants_for(subject)]),
        "access": access_log_out(home, subject, ACCESS_LOG_ROWS).entries,
        "disputes": [dispute_out(d, home) for d in home.disputes.for_subject(subject)],
    }


def records_context(export: Mapping[str, Any]) -> dict[str, Any]:
    """The records of a person's data export they may dispute, newest first, each marked
    with its dispute when it has one."""
    disputed = {(d["source"], d["event_id"]): d for d in export.get("disputes", [])}
    events = list(reversed(export.get("events", [])))
    shown = [
        {
            "source": e.get("source", ""),
            "event_id": e.get("event_id", ""),
            "type": e.get("type", ""),
            "occurred_at": datetime.fromisoformat(str(e["occurred_at"])),
            "amount_minor": e.get("amount_minor"),
            "currency": e.get("currency"),
            "dispute": disputed.get((e.get("source"), e.get("event_id"))),
        }
        for e in events[:RECORDS_SHOWN]
        if "occurred_at" in e
    ]
    return {"records": shown, "total": len(events), "limit": RECORDS_SHOWN}
