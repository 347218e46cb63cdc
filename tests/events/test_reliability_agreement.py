"""Reliability from the lake: three lenders report on the same people, one of them makes up 30%
of its records; built event by event so the test is fast and exact."""

from __future__ import annotations

import gc
import os
import random
import shutil
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from credo.events.reliability import FamilyAgreement, estimate_reliability
from credo.features.agreement import arrears_checks, measure_agreement
from credo.features.engines import DuckDBFeatureEngine
from credo.lake.delta import DeltaEventLake
from credo.settings import DuckDBEngine, SparkEngine

from factories import RegisteredSource, services_required
from lake_rows import credit_event, to_table

AS_OF = datetime(2026, 1, 15, tzinfo=UTC)
PEOPLE = [f"{i:04x}{'ab' * 14}" for i in range(400)]  # token-like: 32 hex characters
FALSE_SHARE = 0.30


def day(month: int, day_of_month: int = 10) -> datetime:
    return datetime(2025, month, day_of_month, 9, tzinfo=UTC)


def lender_rows(source: str, holders: list[int]) -> list[dict[str, Any]]:
    """Monthly repayments of each holder; every tenth person falls 45 days behind from June
    and defaults in October, at every lender they hold."""
    rows = []
    for i in holders:
        troubled = i % 10 == 0
        for month in range(1, 13):
            if troubled and month == 10:
                rows.append(
                    credit_event(
                        f"{source}-{i}-{month}",
                        PEOPLE[i],
                        day(month),
                        type_="default",
                        days_past_due=120,
                        source=source,
                    )
                )
                continue
            if troubled and month > 10:
                continue
            late = 45 if troubled and month >= 6 else 0
            rows.append(
                credit_event(
                    f"{source}-{i}-{month}",
                    PEOPLE[i],
                    day(month),
                    days_past_due=late,
                    source=source,
                )
            )
    return rows


def fabricated(source: str, true_rows: int, rng: random.Random) -> list[dict[str, Any]]:
    """Serious arrears made up about random people, FALSE_SHARE of the source's records."""
    count = round(true_rows * FALSE_SHARE / (1 - FALSE_SHARE))
    return [
        credit_event(
            f"fake-{n}",
            PEOPLE[rng.randrange(len(PEOPLE))],
            day(rng.randint(1, 12), 20),
            days_past_due=60,
            source=source,
        )
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> DeltaEventLake:
    rng = random.Random(11)
    bank = lender_rows("bank", list(range(400)))
    card = lender_rows("card", [i for i in range(400) if i % 2 == 0])
    quick = lender_rows("quick", [i for i in range(400) if i % 3 == 0])
    fake = fabricated("quick", len(quick), rng)
    assert len(fake) / (len(quick) + len(fake)) == pytest.approx(FALSE_SHARE, abs=0.001)
    events = DeltaEventLake(tmp_path_factory.mktemp("reliability") / "events")
    events.create()
    events.append(iter(to_table(bank + card + quick + fake).to_batches()))
    return events


@pytest.fixture(scope="module")
def agreements(lake: DeltaEventLake) -> list[FamilyAgreement]:
    return measure_agreement(lake, AS_OF, sources=["bank", "card", "quick"], engine=DuckDBEngine())


def test_a_source_with_30_percent_false_records_is_estimated_lower(
    agreements: list[FamilyAgreement],
) -> None:
    bank, card, quick = estimate_reliability(
        [RegisteredSource("bank"), RegisteredSource("card"), RegisteredSource("quick")], agreements
    )
    assert quick.estimate < 0.5
    assert min(bank.estimate, card.estimate) >= 0.9
    assert quick.disagreeing > quick.agreeing
    assert bank.disagreeing == card.disagreeing == 0


def test_the_true_share_matches_the_truth_of_the_checked_records(
    lake: DeltaEventLake, agreements: list[FamilyAgreement]
) -> None:
    runner = DuckDBFeatureEngine(DuckDBEngine())
    checked = runner.execute(arrears_checks(runner.events(lake))).to_pylist()
    runner.close()
    quick_checked = [row for row in checked if row["source"] == "quick"]
    truth = sum(not row["event_id"].startswith("fake-") for row in quick_checked)
    truth /= len(quick_checked)
    (quick,) = estimate_reliability([RegisteredSource("quick")], agreements)
    (share,) = quick.families
    assert share.true_share == pytest.approx(truth, abs=0.1)
    assert share.facts == len(quick_checked)


def test_made_up_records_are_confirmed_only_by_chance(agreements: list[FamilyAgreement]) -> None:
    quick = next(a for a in agreements if a.source == "quick")
    bank = next(a for a in agreements if a.source == "bank")
    assert bank.agreeing == bank.facts > 0  # every trouble shows at the other lenders too
    assert quick.chance_agreeing / quick.chance_facts < 0.3
    assert quick.agreeing / quick.facts < 0.3


def profile(source: str, i: int, field_values: dict[str, str]) -> dict[str, Any]:
    at = day(3)
    return {
        "event_id": f"{source}-p{i}",
        "source": source,
        "subject": PEOPLE[i],
        "type": "profile_update",
        "category": "identity",
        "occurred_at": at,
        "ingested_at": at + timedelta(hours=1),
        **field_values,
    }


def test_a_source_with_wrong_personal_details_is_estimated_lower(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = []
    for i in range(300):
        true = {"name_fp": f"n{i}", "phone_fp": f"p{i}", "national_id_fp": f"id{i}"}
        rows.append(profile("bank", i, true))
        rows.append(profile("telecom", i, true))
        wrong = {
            k: (f"x{rng.random()}" if rng.random() < FALSE_SHARE else v) for k, v in true.items()
        }
        rows.append(profile("shady", i, wrong))
    events = DeltaEventLake(tmp_path / "events")
    events.create()
    events.append(iter(to_table(rows).to_batches()))
    found = measure_agreement(
        events, AS_OF, sources=["bank", "telecom", "shady"], engine=DuckDBEngine()
    )
    identity = frozenset({"identity"})
    bank, telecom, shady = estimate_reliability(
        [RegisteredSource(n, identity) for n in ("bank", "telecom", "shady")], found
    )
    assert shady.estimate < 0.8
    assert min(bank.estimate, telecom.estimate) > 0.95
    (share,) = shady.families
    assert share.true_share == pytest.approx(1 - FALSE_SHARE, abs=0.05)
    assert share.chance == pytest.approx(0.0, abs=0.01)


def test_sources_not_named_and_records_before_the_window_do_not_count(
    lake: DeltaEventLake,
) -> None:
    found = measure_agreement(lake, AS_OF, sources=["bank", "quick"], engine=DuckDBEngine())
    assert {a.source for a in found} <= {"bank", "quick"}
    bank = next(a for a in found if a.source == "bank")
    assert bank.facts < bank.records  # without card, only quick's holders overlap
    late = measure_agreement(
        lake, AS_OF + timedelta(days=800), sources=["bank", "card"], engine=DuckDBEngine()
    )
    assert late == []
    assert measure_agreement(lake, AS_OF, sources=[], engine=DuckDBEngine()) == []


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkEngine]:
    """Spark settings, once pyspark and Java are there; the session stops after the module."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if services_required():
            pytest.fail("pyspark required but not installed")
        pytest.skip("pyspark is not installed (pip install -e '.[spark]')")
    java = "/usr/lib/jvm/java-17-openjdk-amd64"
    if not (os.environ.get("JAVA_HOME") or Path(java).is_dir() or shutil.which("java")):
        if services_required():
            pytest.fail("Java 17 required for the Spark tests")
        pytest.skip("no Java for Spark")
    os.environ.setdefault("JAVA_HOME", java)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    yield SparkEngine(master="local[2]", shuffle_partitions=4)
    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_spark_counts_the_same_agreement(
    lake: DeltaEventLake, agreements: list[FamilyAgreement], spark: SparkEngine
) -> None:
    found = measure_agreement(lake, AS_OF, sources=["bank", "card", "quick"], engine=spark)
    assert found == agreements
