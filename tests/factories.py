"""Factories and constants shared by tests (importable as ``factories``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credo.clock import FixedClock
from credo.home import Home, initialise
from credo.loyalty.catalogue import default_catalogue
from credo.loyalty.evaluate import evaluate_privileges
from credo.loyalty.facts import Facts
from credo.model.reasons import reason_code
from credo.scoring.detail import format_value, reason_text
from credo.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PERSON = "110101199003074211"
OTHER = "+86 139 1234 5678"
ENVELOPE = {"event_id", "source", "subject", "type", "occurred_at", "schema_version", "supersedes"}


def services_required() -> bool:
    """CI sets CREDO_TEST_REQUIRE_SERVICES=1: a missing service then fails instead of skipping."""
    return os.environ.get("CREDO_TEST_REQUIRE_SERVICES") == "1"


def make_home(tmp: Path, **overrides: Any) -> Home:
    settings = Settings(home=tmp / "home", **overrides)
    initialise(settings, dev_key=True)
    return Home(settings, clock=FixedClock(NOW))


def event(event_id: str = "e1", type_: str = "repayment", **fields: Any) -> dict[str, Any]:
    """A valid JSON event; ``fields`` override envelope keys or payload keys."""
    payloads: dict[str, dict[str, Any]] = {
        "repayment": {"account_ref": "A1", "amount_minor": 90_000, "currency": "CNY"},
        "loan_opened": {
            "account_ref": "A1",
            "product": "personal",
            "amount_minor": 10**6,
            "currency": "CNY",
            "term_months": 12,
        },
        "profile_update": {
            "name": "Zhang Xiuying",
            "phone": "+86 138 0013 8000",
            "national_id": PERSON,
            "address": "88 Jianguo Road, Beijing",
            "email": "zhang.xiuying@example.cn",
        },
        "purchase": {"amount_minor": 4_500, "currency": "CNY", "merchant_category": "grocery"},
        "tie": {"counterpart": OTHER, "relation": "friend"},
    }
    record: dict[str, Any] = {
        "event_id": event_id,
        "subject": PERSON,
        "type": type_,
        "occurred_at": "2026-10-05T08:00:00Z",
        "payload": dict(payloads[type_]),
    }
    for key, value in fields.items():
        if key in ENVELOPE:
            record[key] = value
        else:
            record["payload"][key] = value
    return record


def write_jsonl(path: Path, records: list[dict[str, Any] | str | bytes]) -> Path:
    with path.open("wb") as handle:
        for record in records:
            if isinstance(record, bytes):
                handle.write(record + b"\n")
            elif isinstance(record, str):
                handle.write(record.encode() + b"\n")
            else:
                handle.write(json.dumps(record).encode() + b"\n")
    return path


def score_reason(name: str, dimension: str, lost: float, value: float | None) -> dict[str, Any]:
    """One reason of a detail document, as the monthly run writes it."""
    text, tip = reason_text(name)
    return {
        "code": reason_code(name),
        "characteristic": name,
        "dimension": dimension,
        "text": text,
        "tip": tip,
        "points_lost": lost,
        "value": value,
        "value_text": format_value(name, value),
    }


def score_detail(
    score: int,
    points: dict[str, float],
    change: dict[str, Any] | None,
    *,
    worst_dpd: float | None = 35.0,
) -> dict[str, Any]:
    """A detail document shaped like :class:`credo.scoring.detail.DetailBuilder`'s."""
    text, tip = reason_text("hist_utilisation")
    facts = Facts(score=score, band="good", percentile=70.0, defaults_24m=0, months_scored=2)
    return {
        "dims": {"history": 71.3, "capacity": 58.0, "identity": 90.0, "behavior": 64.2},
        "reasons": [
            score_reason("hist_utilisation", "history", 18.4, 0.62),
            score_reason("hist_worst_dpd_12m", "history", 9.1, worst_dpd),
        ],
        "raise": {
            "characteristic": "hist_utilisation",
            "text": text,
            "tip": tip,
            "from": 0.62,
            "to": 0.3,
            "from_text": format_value("hist_utilisation", 0.62),
            "to_text": format_value("hist_utilisation", 0.3),
            "points": 12.5,
            "new_score": score + 12,
            "target": 650,
        },
        "privileges": evaluate_privileges(default_catalogue(), facts).to_dict(),
        "points": points,
        "change": change,
    }


@dataclass(frozen=True)
class RegisteredSource:
    """A registered source as the reliability estimator reads it (no store needed)."""

    name: str
    categories: frozenset[str] = field(default_factory=lambda: frozenset({"history"}))
    reliability: float = 0.9
    reliability_pinned: bool = False
    reliability_declared: float = 0.9
    disputes_upheld: int = 0
    disputes_rejected: int = 0
