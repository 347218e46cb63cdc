"""Disputed events (pending or upheld disputes) count for nothing: not as characteristics,
not as training outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from credo.features.service import build_characteristics, build_training_set
from credo.home import Home

from factories import event, write_jsonl

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
LATER = datetime(2026, 11, 1, tzinfo=UTC)
KNOWN = datetime(2100, 1, 1, tzinfo=UTC)
DISPUTED = [("bank", "d1")]


def with_a_default(home: Home, tmp_path: Path) -> Home:
    """PERSON opened a loan in January and (so the bank says) defaulted in September."""
    default = event("d1", occurred_at="2026-09-10T00:00:00Z", days_past_due=120)
    default["type"] = "default"
    records = [event("l1", "loan_opened", occurred_at="2026-01-05T00:00:00Z"), default]
    home.ingestor().ingest([str(write_jsonl(tmp_path / "e.jsonl", records))], source="bank")
    return home


def test_a_disputed_default_is_no_characteristic(ready: Home, tmp_path: Path) -> None:
    home = with_a_default(ready, tmp_path)
    rows = {}
    for excluded in ((), DISPUTED):
        (row,) = build_characteristics(
            home.lake,
            home.sources,
            LATER,
            engine=home.settings.engine,
            known_at=KNOWN,
            excluded=excluded,
        ).to_pylist()
        rows[bool(excluded)] = row
    assert rows[False]["hist_defaults_24m"] == 0.95
    assert rows[False]["hist_months_since_delinquency"] is not None
    assert rows[True]["hist_defaults_24m"] == 0.0
    assert rows[True]["hist_months_since_delinquency"] is None


def test_a_disputed_default_is_no_training_outcome(ready: Home, tmp_path: Path) -> None:
    home = with_a_default(ready, tmp_path)
    bad = {}
    for excluded in ((), DISPUTED):
        (row,) = build_training_set(
            home.lake,
            home.sources,
            [AS_OF],
            outcome_months=12,
            engine=home.settings.engine,
            known_at=KNOWN,
            excluded=excluded,
        ).to_pylist()
        bad[bool(excluded)] = row["bad"]
    assert bad == {False: 1, True: 0}
