"""Negative records from the lake: corrections applied, dispute statuses from their store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from credo.consent.watchlist import LakeWatchlist, NegativeRecord, RecordKey
from credo.home import Home

from factories import OTHER, PERSON, event


def negative(event_id: str, type_: str = "default", **envelope: Any) -> dict[str, Any]:
    record = event(event_id, "repayment", **envelope)
    record["type"] = type_
    record["payload"] = {"account_ref": "L-1", "amount_minor": 1_000, "currency": "CNY"}
    if type_ == "default":
        record["payload"]["days_past_due"] = 120
    return record


def ingest(home: Home, records: list[dict[str, Any]]) -> None:
    report = home.ingestor().ingest_records(records, source="bank")
    assert report.rejected == 0, report.rejected_records


class Disputes:
    """A dispute store holding one disputed record."""

    def __init__(self, status: str = "pending") -> None:
        self.asked: list[tuple[str, list[RecordKey]]] = []
        self.status = status

    def statuses(self, subject: str, keys: Sequence[RecordKey]) -> Mapping[RecordKey, str]:
        self.asked.append((subject, list(keys)))
        return {("bank", "d2"): self.status}


def test_nobody_has_negative_records_in_an_empty_lake(ready: Home) -> None:
    assert LakeWatchlist(ready.lake).records(ready.tokeniser.subject(PERSON)) == ()


def test_records_carry_the_status_their_dispute_store_gives(ready: Home) -> None:
    ingest(ready, [negative("d1"), negative("d2", "collection"), negative("x", subject=OTHER)])
    disputes = Disputes()
    subject = ready.tokeniser.subject(PERSON)
    found = LakeWatchlist(ready.lake, disputes).records(subject)
    assert {(r.type, r.dispute_status) for r in found} == {
        ("default", "none"),
        ("collection", "pending"),
    }
    assert disputes.asked == [(subject, [("bank", "d1"), ("bank", "d2")])]


def test_a_record_an_upheld_dispute_found_wrong_is_never_shown(ready: Home) -> None:
    ingest(ready, [negative("d1"), negative("d2", "collection")])
    found = LakeWatchlist(ready.lake, Disputes("upheld")).records(ready.tokeniser.subject(PERSON))
    assert [(r.type, r.dispute_status) for r in found] == [("default", "none")]


def test_a_correction_replaces_the_record_it_supersedes(ready: Home) -> None:
    ingest(ready, [negative("d1")])
    fix = negative("d1-fix", occurred_at="2026-10-06T08:00:00Z", supersedes="d1")
    fix["payload"]["amount_minor"] = 2_500
    ingest(ready, [fix])
    assert LakeWatchlist(ready.lake).records(ready.tokeniser.subject(PERSON)) == (
        NegativeRecord(
            occurred_on=date(2026, 10, 6),
            type="default",
            amount_minor=2_500,
            currency="CNY",
            source="bank",
            dispute_status="none",
        ),
    )


def test_a_default_corrected_into_a_repayment_is_gone(ready: Home) -> None:
    ingest(ready, [negative("d1"), event("d1-fix", supersedes="d1")])
    assert LakeWatchlist(ready.lake).records(ready.tokeniser.subject(PERSON)) == ()


def test_a_record_moved_to_another_person_leaves_the_first(ready: Home) -> None:
    ingest(ready, [negative("d1", subject=OTHER)])
    ingest(ready, [negative("d1-fix", subject=PERSON, supersedes="d1")])
    assert LakeWatchlist(ready.lake).records(ready.tokeniser.subject(OTHER)) == ()
    assert len(LakeWatchlist(ready.lake).records(ready.tokeniser.subject(PERSON))) == 1


def test_a_correction_by_another_source_does_not_count(ready: Home) -> None:
    ready.sources.add("shop", ["history"])
    ingest(ready, [negative("d1")])
    fix = negative("d1-fix", supersedes="d1")
    report = ready.ingestor().ingest_records([fix], source="shop")
    assert report.accepted == 1
    found = LakeWatchlist(ready.lake).records(ready.tokeniser.subject(PERSON))
    assert sorted(r.source for r in found) == ["bank", "shop"]
