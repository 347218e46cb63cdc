"""Partner feedback over HTTP: events checked exactly like file ingest, then in the lake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.consent.collection import ConsentChange
from credo.events.schemas import CATEGORIES
from credo.features.service import build_characteristics
from credo.home import Home

from factories import NOW, OTHER, PERSON, event, write_jsonl

URL = "/v1/partner/feedback"


@dataclass
class World:
    client: TestClient
    home: Home
    key: str

    def send(self, events: list[Any], *, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return self.client.post(URL, json={"events": events}, headers=headers)


@pytest.fixture
def world(api_home: Home) -> Iterator[World]:
    """Partner ``bank`` is also the source ``bank``; PERSON consents to it, OTHER does not."""
    _partner, key = api_home.partners.add("bank", ["lending"], is_source=True)
    api_home.sources.add("bank", CATEGORIES, reliability=0.9)
    api_home.consents.record(
        ConsentChange(identifier=PERSON, category=c, action="grant", at=NOW) for c in CATEGORIES
    )
    with TestClient(create_app(api_home)) as client:
        yield World(client, api_home, key)


def test_accepted_events_land_in_the_lake_and_reach_the_features(world: World) -> None:
    response = world.send([event("r1", days_past_due=40), event("l1", "loan_opened")])
    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "accepted": 2,
        "duplicates": 0,
        "rejected": 0,
        "rejected_by_reason": {},
        "rejects": [],
    }
    assert world.home.lake.summary().by_source == {"bank": 2}
    table = build_characteristics(
        world.home.lake,
        world.home.sources,
        datetime(2026, 10, 31, tzinfo=UTC),
        engine=world.home.settings.engine,
        known_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    (row,) = table.to_pylist()
    assert row["subject"] == world.home.tokeniser.subject(PERSON)
    assert row["hist_worst_dpd_12m"] == pytest.approx(40 * 0.9)
    assert row["hist_new_loans_6m"] == pytest.approx(0.9)


def test_sending_the_same_events_again_is_a_no_op(world: World) -> None:
    world.send([event("r1")])
    again = world.send([event("r1")]).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    assert world.home.lake.summary().events == 1


def test_rejects_match_file_ingest_and_echo_no_personal_data(world: World, tmp_path: Path) -> None:
    records = [
        event("ok"),
        event("stranger", subject=OTHER),  # OTHER gave no consent
        event("nocurrency", currency=None),
        event("elsewhere", source="shop"),
        event("ok"),  # repeated in the same request
    ]
    body = world.send(records).json()
    assert body["accepted"] == 1
    assert body["rejected_by_reason"] == {
        "duplicate_id": 1,
        "missing_field": 1,
        "no_consent": 1,
        "source_mismatch": 1,
    }
    assert [(r["index"], r["field"], r["reason"]) for r in body["rejects"]] == [
        (1, "subject", "no_consent"),
        (2, "currency", "missing_field"),
        (3, "source", "source_mismatch"),
        (4, "event_id", "duplicate_id"),
    ]
    text = str(body)
    assert OTHER not in text
    assert PERSON not in text
    renamed: list[dict[str, Any] | str | bytes] = [
        {**r, "event_id": f"file-{r['event_id']}"} for r in records
    ]
    by_file = world.home.ingestor().ingest(
        [str(write_jsonl(tmp_path / "same.jsonl", renamed))], source="bank"
    )
    assert dict(by_file.by_reason) == body["rejected_by_reason"]


def test_a_field_name_outside_the_schema_is_not_echoed(world: World) -> None:
    record = event("e1")
    record["payload"][PERSON] = "x"
    (reject,) = world.send([record]).json()["rejects"]
    assert (reject["index"], reject["field"], reject["reason"]) == (0, None, "unknown_field")


@pytest.mark.parametrize("junk", [[], {"a": [1, {"b": None}]}, "text", 1.5, None, True])
def test_odd_values_are_rejected_per_event(world: World, junk: object) -> None:
    response = world.send([event("e1", subject=junk), event("e2")])
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], [r["index"] for r in body["rejects"]]) == (1, [0])


def test_a_lone_surrogate_is_a_bad_encoding_reject(world: World) -> None:
    body = b'{"events": [{"event_id": "\\ud800", "subject": "x", "type": "repayment"}]}'
    response = world.client.post(
        URL,
        content=body,
        headers={"Authorization": f"Bearer {world.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["rejected_by_reason"] == {"bad_encoding": 1}


def test_a_record_over_the_size_limit_is_too_large(world: World) -> None:
    record = event("e1")
    record["payload"]["account_ref"] = "A" * (world.home.settings.ingest.max_record_bytes + 1)
    (reject,) = world.send([record]).json()["rejects"]
    assert reject["reason"] == "too_large"


def test_a_partner_that_is_not_a_source_is_refused(world: World) -> None:
    _shop, key = world.home.partners.add("shop", ["lending"])
    response = world.send([event("e1", source="shop")], key=key)
    assert response.status_code == 403
    assert response.json()["detail"] == "no authorization covers this request"
    assert world.home.lake.summary().events == 0


def test_a_source_partner_without_a_registered_source_is_refused(world: World) -> None:
    _rentals, key = world.home.partners.add("rentals", ["rental"], is_source=True)
    assert world.send([event("e1")], key=key).status_code == 403


def test_more_than_a_thousand_events_is_422(world: World) -> None:
    response = world.send([event(f"e{i}") for i in range(1_001)])
    assert response.status_code == 422
    assert "events" in response.json()["detail"]
    assert world.home.lake.summary().events == 0


def test_a_thousand_events_are_accepted(world: World) -> None:
    body = world.send([event(f"e{i}") for i in range(1_000)]).json()
    assert body["accepted"] == 1_000


def test_an_empty_list_is_422(world: World) -> None:
    assert world.send([]).status_code == 422
