"""Retention: a negative record stops counting five years (per category) after the behaviour
ended, in the characteristics and on the watchlist, and `credo rights retention` purges exactly
the expired records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from credo.cli.app import app
from credo.clock import FixedClock
from credo.consent.collection import ConsentChange
from credo.events.schemas import CATEGORIES
from credo.features.asof import events_as_of
from credo.features.engines import DuckDBFeatureEngine
from credo.home import Home
from credo.settings import DuckDBEngine, Settings

from factories import NOW, PERSON, event, make_home

runner = CliRunner()


def negative(event_id: str, type_: str, at: str, **payload: Any) -> dict[str, Any]:
    base: dict[str, dict[str, Any]] = {
        "default": {"account_ref": "A1", "amount_minor": 10**5, "currency": "CNY"},
        "collection": {"account_ref": "A1", "amount_minor": 10**5, "currency": "CNY"},
        "repayment": {"account_ref": "A1", "amount_minor": 9_000, "currency": "CNY"},
        "bill_payment": {"amount_minor": 9_000, "currency": "CNY", "biller": "telecom"},
        "purchase": {"amount_minor": 4_500, "currency": "CNY", "merchant_category": "grocery"},
    }
    record = event(event_id, "repayment", occurred_at=at)
    record["type"] = type_
    record["payload"] = {**base[type_], **payload}
    return record


# NOW is 2026-11-01; five years are 1826 days
EVENTS = [
    # a default and its collection on one account: the behaviour ended with the collection
    negative("d-a1", "default", "2019-01-10T00:00:00Z", account_ref="A1", days_past_due=95),
    negative("c-a1", "collection", "2020-06-10T00:00:00Z", account_ref="A1"),
    # an old default whose account later went to collection: kept alive by the collection
    negative("d-a4", "default", "2019-01-10T00:00:00Z", account_ref="A4", days_past_due=95),
    negative("c-a4", "collection", "2022-06-10T00:00:00Z", account_ref="A4"),
    negative("late-a3", "repayment", "2020-01-05T00:00:00Z", account_ref="A3", days_past_due=40),
    negative("ok-a3", "repayment", "2015-03-05T00:00:00Z", account_ref="A3", days_past_due=0),
    negative("bill-late-old", "bill_payment", "2019-05-01T00:00:00Z", days_late=12),
    negative("bill-late-new", "bill_payment", "2023-05-01T00:00:00Z", days_late=12),
    negative("bill-on-time", "bill_payment", "2016-05-01T00:00:00Z", days_late=0),
    negative("shop", "purchase", "2016-05-01T00:00:00Z"),
]
EXPIRED = {"d-a1", "c-a1", "late-a3", "bill-late-old"}  # by hand, as of NOW


def build(home: Home) -> Home:
    home.sources.add("bank", CATEGORIES, reliability=0.95)
    home.consents.record(
        ConsentChange(
            identifier=PERSON, category=c, action="grant", at=datetime(2010, 1, 1, tzinfo=UTC)
        )
        for c in CATEGORIES
    )
    report = home.ingestor().ingest_records(EVENTS, source="bank")
    assert report.rejected == 0, report.rejected_records
    return home


@pytest.fixture
def aged(tmp_path: Path) -> Iterator[Home]:
    home = build(make_home(tmp_path))
    yield home
    home.dispose()


def visible_ids(home: Home, as_of: datetime, retention: dict[str, int] | None = None) -> set[str]:
    engine = DuckDBFeatureEngine(DuckDBEngine())
    try:
        expr = events_as_of(
            engine.events(home.lake),
            as_of,
            reliability={"bank": 0.95},
            known_at=NOW + timedelta(seconds=1),  # ingested at NOW
            retention=retention,
        )
        return set(engine.execute(expr.select("event_id")).column(0).to_pylist())
    finally:
        engine.close()


def lake_ids(home: Home) -> set[str]:
    return set(home.lake.dataset().to_table(columns=["event_id"]).column(0).to_pylist())


def test_expired_negative_records_stop_counting_at_once(aged: Home) -> None:
    everything = {e["event_id"] for e in EVENTS}
    assert visible_ids(aged, NOW) == everything - EXPIRED
    # five years earlier nothing had expired yet
    assert visible_ids(aged, datetime(2024, 1, 1, tzinfo=UTC)) == everything
    # a longer period for history keeps the credit records; the late bill still expires
    longer = visible_ids(aged, NOW, {"history": round(10 * 365.25)})
    assert longer == everything - {"bill-late-old"}


def test_retention_purges_exactly_the_expired_records(aged: Home) -> None:
    dry = aged.apply_retention(dry_run=True)
    assert (dry.expired, dry.purge) == (len(EXPIRED), None)
    assert dry.by_type == {"bill_payment": 1, "collection": 1, "default": 1, "repayment": 1}
    assert lake_ids(aged) == {e["event_id"] for e in EVENTS}  # nothing purged by a dry run

    done = aged.apply_retention()
    assert done.purge is not None
    assert done.purge.deleted == len(EXPIRED)
    assert lake_ids(aged) == {e["event_id"] for e in EVENTS} - EXPIRED
    [entry] = [e for e in aged.audit.entries() if e.action == "retention.purged"]
    assert entry.detail["expired"] == len(EXPIRED)
    assert aged.audit.verify().ok
    assert aged.apply_retention().expired == 0


def test_the_watchlist_no_longer_shows_an_expired_default(aged: Home) -> None:
    records = aged.watchlist.records(aged.tokeniser.subject(PERSON))
    assert sorted((r.type, r.occurred_on.isoformat()) for r in records) == [
        ("collection", "2022-06-10"),
        ("default", "2019-01-10"),  # A4's: its collection keeps it alive
    ]
    earlier = Home(aged.settings, clock=FixedClock(datetime(2024, 1, 1, tzinfo=UTC)))
    assert len(earlier.watchlist.records(aged.tokeniser.subject(PERSON))) == 4
    earlier.dispose()


def test_a_purged_correction_takes_the_record_it_corrected_along(aged: Home) -> None:
    # a repayment reported on time in 2016, corrected the same year as 60 days late
    corrected = [
        negative("r-a9", "repayment", "2016-02-01T00:00:00Z", account_ref="A9"),
        {
            **negative("r-a9-fix", "repayment", "2016-02-01T00:00:00Z", account_ref="A9"),
            "supersedes": "r-a9",
        },
    ]
    corrected[1]["payload"]["days_past_due"] = 60
    report = aged.ingestor().ingest_records(corrected, source="bank")
    assert report.rejected == 0, report.rejected_records
    done = aged.apply_retention()
    assert (done.expired, done.superseded) == (len(EXPIRED) + 1, 1)
    assert not {"r-a9", "r-a9-fix"} & lake_ids(aged)  # the on-time original does not return


def test_the_cli_reports_and_purges(aged: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_HOME", str(aged.settings.home))
    monkeypatch.setenv("CREDO_RIGHTS__RETENTION_YEARS", '{"history": 10, "behavior": 5}')
    dry = runner.invoke(app, ["rights", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would purge 1 expired negative records (1 bill_payment)" in dry.output
    done = runner.invoke(app, ["rights", "retention"])
    assert done.exit_code == 0, done.output
    assert "purged 1 expired" in done.output
    assert "bill-late-old" not in lake_ids(aged)
    again = runner.invoke(app, ["rights", "retention"])
    assert "no negative record has passed" in again.output


def test_retention_settings_refuse_unknown_categories() -> None:
    with pytest.raises(ValueError, match="categories are"):
        Settings(rights={"retention_years": {"credit": 5}})
    with pytest.raises(ValueError, match=r"0\.1-50 years"):
        Settings(rights={"retention_years": {"history": 0}})
