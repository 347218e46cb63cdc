"""Re-scoring people in the current snapshot, and disputes moving scores: a disputed default is
left out at once, an upheld dispute raises the score, a rejected one restores it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.clock import FixedClock
from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG
from credo.features.engines import DuckDBFeatureEngine
from credo.features.person import people_events
from credo.features.service import build_training_set
from credo.home import Home
from credo.scoring.criteria import na_reasons
from credo.settings import DuckDBEngine, Settings
from credo.training.fit import fit_and_evaluate
from credo.training.platform import model_bands

AUGUST = datetime(2026, 9, 1, tzinfo=UTC)  # the end of 2026-08-31
SEPTEMBER = datetime(2026, 10, 1, tzinfo=UTC)
TRAIN_AS_OF = datetime(2025, 11, 1, tzinfo=UTC)
DELINQUENCY = "hist_months_since_delinquency"
FEATURES = {
    DELINQUENCY,
    "hist_on_time_share_12m",
    "hist_utilisation",
    "cap_income_monthly",
    "beh_tenure_months",
    "id_phone_tenure_months",
    "net_ties",
}
STATEMENT = "This default is not mine: the account was opened with a stolen identity card."


def run_month(home: Home, as_of: datetime) -> int:
    return home.monthly_run(as_of).run_id


def train_where_defaults_count(home: Home) -> None:
    """Register a scorecard over a few characteristics in which a default costs points.

    In the synthetic world a person who defaulted rarely defaults again within the outcome
    window (the account is closed), so the platform's own training finds that past defaults do
    not predict, and whether its model charges for one changes with every session's random
    subject tokens. What a dispute must undo is a default that costs points, so this model's
    outcome counts a delinquency before the as-of date as bad too (people already in default
    are kept): never having been delinquent (``hist_months_since_delinquency`` missing) then
    scores best.
    """
    now = home.clock.now()
    table = build_training_set(
        home.lake,
        home.sources,
        [TRAIN_AS_OF],
        outcome_months=12,
        engine=home.settings.engine,
        known_at=now,
    ).to_pandas()
    frame = table[pd.isna(na_reasons(table, min_history_months=6))]
    used = [c for c in CATALOG if c.name in FEATURES]
    fitted = fit_and_evaluate(
        frame[[c.name for c in used]],
        (frame["bad"] | frame["bad_before"]).to_numpy(),
        params={
            "dimensions": {c.name: c.dimension for c in used},
            "max_correlation": 1.0,
            "min_bin_size": 0.01,
        },
        monotone={c.name: 1 if c.direction == "higher_is_riskier" else -1 for c in used},
        bands=model_bands(home.settings.scoring),
        created_at=now,
        challenger=False,
    )
    (since,) = [f for f in fitted.artifact["features"] if f["name"] == DELINQUENCY]
    *regular, _special, missing = since["bins"]
    assert missing["points"] > max(b["points"] for b in regular), since["bins"]
    home.models.register(
        artifact=fitted.text,
        sha256=fitted.sha256,
        kind="scorecard",
        created_at=now,
        origin="test: defaults count",
        trained_as_of=TRAIN_AS_OF,
    )


@pytest.fixture(scope="module")
def scored_template(lake_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic home with a model in which defaults count and two published monthly
    runs (August, then September)."""
    target = tmp_path_factory.mktemp("rescore") / "home"
    shutil.copytree(lake_template, target)
    home = Home(Settings(home=target), clock=FixedClock(datetime.now(UTC)))
    train_where_defaults_count(home)
    run_month(home, AUGUST)
    run_month(home, SEPTEMBER)
    home.dispose()
    return target


@pytest.fixture
def scored(scored_template: Path, tmp_path: Path) -> Iterator[Home]:
    """A private copy of the scored home, its clock fixed after the runs."""
    target = tmp_path / "home"
    shutil.copytree(scored_template, target)
    home = Home(Settings(home=target), clock=FixedClock(datetime.now(UTC) + timedelta(hours=1)))
    yield home
    home.dispose()


def clean_but_for_one_default(home: Home) -> list[tuple[str, str, str]]:
    """(subject, source, event_id) of scored people whose record is clean but for one default
    before September's as-of date (no other delinquency, as the history characteristics count
    one: a default or collection of a source weighing 0.5 or more, a repayment 30 or more
    weighted days late), and that default: a wrong default there is all that holds them back."""
    weight = {s.name: s.reliability for s in home.sources.all()}
    events = (
        home.lake.dataset()
        .to_table(
            columns=["subject", "source", "event_id", "type", "days_past_due"],
            filter=ds.field("type").isin(["default", "collection", "repayment"])
            & (ds.field("occurred_at") < SEPTEMBER),
        )
        .to_pandas()
    )
    w = events["source"].map(weight)
    negative = events["type"].isin(["default", "collection"]) & (w >= 0.5)
    late = (events["type"] == "repayment") & (w * events["days_past_due"] >= 30)
    delinquent = events[negative | late]
    once = delinquent.groupby("subject").size().loc[lambda n: n == 1].index
    current = home.snapshots.current()
    assert current is not None
    table = home.snapshots.table(current.id).to_pandas().dropna(subset=["score"])
    found = delinquent[
        delinquent["subject"].isin(once)
        & (delinquent["type"] == "default")
        & delinquent["subject"].isin(table["subject"])
    ]
    assert len(found), "the synthetic world has no one clean but for one default"
    return sorted(zip(found["subject"], found["source"], found["event_id"], strict=True))


def score_of(home: Home, subject: str) -> int:
    record = home.snapshots.score(subject)
    assert record is not None
    assert record.score is not None
    return record.score


def people_with_ties(home: Home, count: int) -> list[str]:
    """The first ``count`` people of the current snapshot with a tie before its as-of date."""
    ties = home.lake.dataset().to_table(
        columns=["subject"],
        filter=(ds.field("type") == "tie") & (ds.field("occurred_at") < SEPTEMBER),
    )
    current = home.snapshots.current()
    assert current is not None
    snapshot = set(home.snapshots.table(current.id)["subject"].to_pylist())
    return sorted(set(ties["subject"].to_pylist()) & snapshot)[:count]


def test_the_events_people_depend_on_give_their_characteristics_exactly(scored: Home) -> None:
    reliability = {s.name: s.reliability for s in scored.sources.all()}
    known = scored.clock.now()
    subjects = people_with_ties(scored, 6)
    engine = DuckDBFeatureEngine(DuckDBEngine())
    try:
        everyone = engine.events(scored.lake)
        full = engine.execute(
            characteristics_expr(everyone, SEPTEMBER, reliability=reliability, known_at=known)
        ).to_pylist()
        narrowed = people_events(everyone, subjects, execute=engine.execute)
        some = engine.execute(
            characteristics_expr(narrowed, SEPTEMBER, reliability=reliability, known_at=known)
        ).to_pylist()
    finally:
        engine.close()
    expected = [row for row in full if row["subject"] in subjects]
    got = [row for row in some if row["subject"] in subjects]
    assert len(expected) == len(subjects)
    assert got == expected
    assert any(row["net_mutual_share"] for row in got)  # the ties back were read


def test_a_rescore_without_disputes_reproduces_the_run(scored: Home) -> None:
    current = scored.snapshots.current()
    assert current is not None
    table = scored.snapshots.table(current.id).to_pandas()
    subjects = sorted({*people_with_ties(scored, 3), *table[table["score"].isna()]["subject"][:2]})
    subjects += [s for s, _, _ in clean_but_for_one_default(scored)[:2]]
    before = {s: scored.snapshots.score(s) for s in subjects}
    done = scored.rescore(subjects, trigger="test")
    assert [r.subject for r in done] == sorted(set(subjects))
    assert all(r.before == r.after and r.present for r in done)
    for subject in subjects:
        assert scored.snapshots.score(subject) == before[subject]
    entry = scored.audit.for_subject(subjects[0])[0]
    assert (entry.action, entry.detail) == (
        "score.rescored",
        {"run": current.id, "trigger": "test", "changed": False},
    )


def test_a_disputed_default_is_excluded_at_once(scored: Home) -> None:
    subject, source, event_id = clean_but_for_one_default(scored)[0]
    original = score_of(scored, subject)
    scored.disputes.open(subject, source=source, event_id=event_id, statement=STATEMENT)
    (rescored,) = scored.rescore([subject], trigger="test")
    assert rescored.after is not None
    assert rescored.after > original
    # the monthly run leaves it out as well
    env = {"CREDO_HOME": str(scored.settings.home)}
    ran = CliRunner().invoke(app, ["run", "--as-of", "2026-09-30", "--json"], env=env)
    assert ran.exit_code == 0, ran.output
    current = scored.snapshots.current()
    assert current is not None
    assert current.id == json.loads(ran.stdout)["run_id"]
    assert score_of(scored, subject) == rescored.after


def test_an_upheld_dispute_of_a_wrong_default_raises_the_score(scored: Home) -> None:
    subject, source, event_id = clean_but_for_one_default(scored)[0]
    original = score_of(scored, subject)
    dispute = scored.disputes.open(subject, source=source, event_id=event_id, statement=STATEMENT)
    scored.disputes.answer(source, dispute.id, outcome="upheld", evidence="Our error, sorry.")
    raised = score_of(scored, subject)
    assert raised > original
    assert scored.sources.get(source).disputes_upheld == 1
    actions = [e.action for e in scored.audit.for_subject(subject)]
    assert actions[:2] == ["score.rescored", "dispute.answered"]


def test_a_rejected_dispute_restores_the_record(scored: Home) -> None:
    subject, source, event_id = clean_but_for_one_default(scored)[0]
    original = scored.snapshots.score(subject)
    assert original is not None
    dispute = scored.disputes.open(subject, source=source, event_id=event_id, statement=STATEMENT)
    scored.rescore([subject], trigger="test")
    assert score_of(scored, subject) != original.score
    scored.disputes.answer(source, dispute.id, outcome="rejected", evidence="Contract 2025-031.")
    assert scored.snapshots.score(subject) == original
    assert scored.sources.get(source).disputes_rejected == 1


def test_the_clock_upholds_an_unanswered_dispute_and_rescores(scored: Home) -> None:
    subject, source, event_id = clean_but_for_one_default(scored)[0]
    original = score_of(scored, subject)
    dispute = scored.disputes.open(subject, source=source, event_id=event_id, statement=STATEMENT)
    clock = scored.clock
    assert isinstance(clock, FixedClock)
    clock.set(dispute.due_at - timedelta(microseconds=1))
    assert scored.disputes.resolve_expired() == []
    assert score_of(scored, subject) == original
    clock.set(dispute.due_at)
    assert [d.id for d in scored.disputes.resolve_expired()] == [dispute.id]
    assert score_of(scored, subject) > original
    entry = scored.audit.for_subject(subject)[0]
    assert (entry.action, entry.detail["trigger"]) == ("score.rescored", "dispute clock")


def test_the_rescore_command_reports_before_and_after(scored: Home) -> None:
    subject, source, event_id = clean_but_for_one_default(scored)[0]
    original = score_of(scored, subject)
    scored.disputes.open(subject, source=source, event_id=event_id, statement=STATEMENT)
    env = {"CREDO_HOME": str(scored.settings.home)}
    result = CliRunner().invoke(app, ["rescore", subject, "--token", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["subject"], report["before"], report["present"]) == (subject, original, True)
    assert report["after"] > original
    assert score_of(scored, subject) == report["after"]


def test_rescoring_before_any_run_says_what_to_do(untrained: Home) -> None:
    env = {"CREDO_HOME": str(untrained.settings.home)}
    result = CliRunner().invoke(app, ["rescore", "0" * 32, "--token"], env=env)
    assert result.exit_code == 1
    assert "credo run --as-of DATE" in result.stderr
