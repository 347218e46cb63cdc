"""Disputes over HTTP (SQLite and PostgreSQL): a person disputes their own records, the source
sees its own disputes and answers them, the statutory clock decides when it does not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.clock import FixedClock
from credo.consent.collection import ConsentChange
from credo.events.schemas import CATEGORIES
from credo.home import Home

from factories import NOW, OTHER, PERSON, write_jsonl

STATEMENT = "I never had an account with this bank.\nMy identity card was stolen in 2025."
DAYS_30 = 30 * 86_400


def default(event_id: str, who: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "subject": who,
        "type": "default",
        "occurred_at": "2026-09-10T00:00:00Z",
        "payload": {
            "account_ref": "L9",
            "amount_minor": 500_000,
            "currency": "CNY",
            "days_past_due": 120,
        },
    }


@dataclass
class World:
    client: TestClient
    home: Home
    bank: str
    shop: str
    lender: str

    def person(self, identifier: str = PERSON) -> dict[str, str]:
        code = self.home.people.issue_code(identifier)
        response = self.client.post("/v1/login", json={"identifier": identifier, "code": code})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def dispute(self, headers: dict[str, str], event_id: str = "d1", **body: Any) -> httpx.Response:
        payload = {"source": "bank", "event_id": event_id, "statement": STATEMENT, **body}
        return self.client.post("/v1/me/disputes", json=payload, headers=headers)

    def partner(self, key: str, path: str = "", body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        if body is None:
            return self.client.get(f"/v1/partner/disputes{path}", headers=headers)
        return self.client.post(f"/v1/partner/disputes{path}", json=body, headers=headers)

    def answer(self, key: str, dispute_id: int, outcome: str = "rejected") -> httpx.Response:
        body = {"outcome": outcome, "evidence": "Loan contract 2025-031, signed in branch."}
        return self.partner(key, f"/{dispute_id}/answer", body)


@pytest.fixture
def world(api_home: Home, tmp_path: Path) -> Iterator[World]:
    """Sources ``bank`` and ``shop`` are partners too; ``lender`` is a partner only. The bank
    reported a default of PERSON (d1) and one of OTHER (d2)."""
    home = api_home
    _bank, bank = home.partners.add("bank", ["lending"], is_source=True)
    _shop, shop = home.partners.add("shop", ["rental"], is_source=True)
    _lender, lender = home.partners.add("lender", ["lending"])
    home.sources.add("bank", CATEGORIES, reliability=0.9)
    home.sources.add("shop", CATEGORIES)
    home.consents.record(
        ConsentChange(identifier=who, category=c, action="grant", at=NOW)
        for c in CATEGORIES
        for who in (PERSON, OTHER)
    )
    path = write_jsonl(tmp_path / "d.jsonl", [default("d1", PERSON), default("d2", OTHER)])
    assert home.ingestor().ingest([str(path)], source="bank").accepted == 2
    with TestClient(create_app(home)) as client:
        yield World(client, home, bank, shop, lender)


def test_a_person_opens_a_dispute_and_sees_its_clock(world: World) -> None:
    me = world.person()
    response = world.dispute(me)
    assert response.status_code == 201, response.text
    opened = response.json()
    assert {k: opened[k] for k in ("source", "event_id", "event_type", "status")} == {
        "source": "bank",
        "event_id": "d1",
        "event_type": "default",
        "status": "pending",
    }
    assert opened["statement"] == STATEMENT
    assert opened["due_at"] == (NOW + timedelta(days=30)).isoformat()
    assert (opened["seconds_left"], opened["jurisdiction"]) == (DAYS_30, "default")
    assert (opened["resolved_by"], opened["evidence"]) == (None, None)
    assert world.home.disputes.excluded() == {("bank", "d1")}
    listed = world.client.get("/v1/me/disputes", headers=me).json()["disputes"]
    assert listed == [opened]


def test_a_person_cannot_dispute_another_persons_record(world: World) -> None:
    response = world.dispute(world.person(), "d2")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert world.home.disputes.excluded() == set()
    assert world.client.get("/v1/me/disputes", headers=world.person(OTHER)).json() == {
        "disputes": []
    }


def test_a_record_is_disputed_once_and_statements_are_bounded(world: World) -> None:
    me = world.person()
    assert world.dispute(me).status_code == 201
    again = world.dispute(me)
    assert again.status_code == 409
    assert "disputed already" in again.json()["detail"]
    assert world.dispute(me, "d9", statement="").status_code == 422
    assert world.dispute(me, "d9", statement="x" * 2001).status_code == 422
    assert world.dispute(me, "d9", statement="   ").status_code == 422
    assert world.dispute(me, "d9", statement="bell \x07").status_code == 422
    assert world.client.post("/v1/me/disputes", json={}).status_code == 401


def test_the_source_sees_only_its_own_disputes_and_nothing_else_of_the_person(
    world: World,
) -> None:
    dispute_id = world.dispute(world.person()).json()["id"]
    seen = world.partner(world.bank)
    assert seen.status_code == 200
    (item,) = seen.json()["disputes"]
    assert set(item) == {
        "id",
        "event_id",
        "event_type",
        "occurred_at",
        "statement",
        "opened_at",
        "due_at",
        "seconds_left",
        "status",
        "resolved_at",
        "evidence",
    }
    assert (item["id"], item["event_id"], item["statement"]) == (dispute_id, "d1", STATEMENT)
    assert world.partner(world.shop).json() == {"disputes": []}
    assert world.partner(world.lender).status_code == 403
    assert world.answer(world.shop, dispute_id).status_code == 404
    assert world.answer(world.lender, dispute_id).status_code == 403


def test_the_source_answers_once_and_the_person_reads_its_evidence(world: World) -> None:
    me = world.person()
    dispute_id = world.dispute(me).json()["id"]
    answered = world.answer(world.bank, dispute_id, "rejected")
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["seconds_left"]) == ("rejected", 0)
    assert world.answer(world.bank, dispute_id, "upheld").status_code == 409
    assert world.partner(world.bank).json() == {"disputes": []}
    (mine,) = world.client.get("/v1/me/disputes", headers=me).json()["disputes"]
    assert (mine["status"], mine["resolved_by"]) == ("rejected", "source")
    assert mine["evidence"] == "Loan contract 2025-031, signed in branch."
    assert world.home.disputes.excluded() == set()
    bank = world.home.sources.get("bank")
    assert (bank.disputes_upheld, bank.disputes_rejected) == (0, 1)


def test_an_answer_names_an_outcome_and_carries_evidence(world: World) -> None:
    dispute_id = world.dispute(world.person()).json()["id"]
    wrong = world.partner(
        world.bank, f"/{dispute_id}/answer", {"outcome": "denied", "evidence": "x"}
    )
    assert wrong.status_code == 422
    empty = world.partner(world.bank, f"/{dispute_id}/answer", {"outcome": "upheld"})
    assert empty.status_code == 422
    assert world.answer(world.bank, 2**31 - 1).status_code == 404


def test_unanswered_in_time_the_dispute_is_upheld_in_the_persons_favour(world: World) -> None:
    me = world.person()
    dispute_id = world.dispute(me).json()["id"]
    clock = world.home.clock
    assert isinstance(clock, FixedClock)
    clock.set(NOW + timedelta(days=30) - timedelta(seconds=1))
    me = world.person()  # sessions last hours, the period days
    (mine,) = world.client.get("/v1/me/disputes", headers=me).json()["disputes"]
    assert (mine["status"], mine["seconds_left"]) == ("pending", 1)
    clock.set(NOW + timedelta(days=30))
    (mine,) = world.client.get("/v1/me/disputes", headers=me).json()["disputes"]
    assert (mine["status"], mine["resolved_by"], mine["seconds_left"]) == ("upheld", "clock", 0)
    assert world.partner(world.bank).json() == {"disputes": []}
    late = world.answer(world.bank, dispute_id)
    assert late.status_code == 409
    assert "upheld by the clock" in late.json()["detail"]
