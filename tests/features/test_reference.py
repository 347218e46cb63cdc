"""Every characteristic against the brute-force oracle, on small random event sets."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG

import feature_oracle as reference
from lake_rows import credit_event, to_table

AS_OF = datetime(2026, 10, 31, tzinfo=UTC)
RELIABILITY = {"bank": 0.9, "shady": 0.4}
TYPES = [
    "repayment",
    "default",
    "collection",
    "loan_opened",
    "bill",
    "credit_line",
    "balance_snapshot",
    "balance_snapshot",
    "purchase",
    "income_verified",
    "contract",
    "contract_fulfilled",
    "identity_verified",
    "profile_update",
    "profile_update",
    "purchase",
    "bill_payment",
    "refund",
    "transfer",
    "tie",
    "tie",
    "tie",
]
CATEGORY = {
    "balance_snapshot": "capacity",
    "purchase": "behavior",
    "income_verified": "capacity",
    "contract": "capacity",
    "contract_fulfilled": "capacity",
    "identity_verified": "identity",
    "profile_update": "identity",
    "bill_payment": "behavior",
    "refund": "behavior",
    "transfer": "behavior",
    "tie": "network",
}
KINDS = {
    "balance_snapshot": ["credit", "deposit", "deposit"],
    "contract": ["rental", "deposit_free_order"],
    "refund": ["refund", "chargeback"],
}


def profile(draw: st.DrawFn, present: bool) -> dict[str, Any]:
    """Fingerprints and tenures of a profile update (None elsewhere)."""
    fields = {
        name: draw(st.sampled_from([None, "fp1", "fp2"])) if present else None
        for name in reference.FINGERPRINTS
    }
    days = st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 10, 30))
    fields["address_since"] = draw(st.one_of(st.none(), days)) if present else None
    fields["phone_since"] = draw(st.one_of(st.none(), days)) if present else None
    return fields


def tie(draw: st.DrawFn, present: bool) -> dict[str, Any]:
    """Counterpart, relation, verification and action of a tie (None elsewhere)."""
    if not present:
        return {"counterpart": None, "relation": None, "verified": None, "action": None}
    return {
        "counterpart": draw(st.sampled_from(["s1", "s2", "s3", "s4"])),
        "relation": draw(st.sampled_from(["friend", "family"])),
        "verified": draw(st.booleans()),
        "action": draw(st.sampled_from(["add", "add", "remove"])),
    }


@st.composite
def event_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=25))
    events: list[dict[str, Any]] = []
    for i in range(count):
        type_ = draw(st.sampled_from(TYPES))
        occurred = AS_OF - timedelta(seconds=draw(st.integers(-5 * 86400, 800 * 86400)))
        ingested = occurred + timedelta(seconds=draw(st.sampled_from([1, 3600, 40 * 86400])))
        earlier = [e["event_id"] for e in events]
        events.append(
            {
                "event_id": f"e{i}",
                "source": draw(st.sampled_from(["bank", "shady", "unknown"])),
                "subject": draw(st.sampled_from(["s1", "s2", "s3"])),
                "type": type_,
                "category": CATEGORY.get(type_, "history"),
                "occurred_at": occurred,
                "ingested_at": ingested,
                "supersedes": draw(st.sampled_from(earlier))
                if earlier and draw(st.integers(0, 5)) == 0
                else None,
                "account_ref": draw(st.sampled_from(["a", "b"])),
                "amount_minor": draw(st.integers(-(10**6), 10**7)),
                "days_past_due": draw(st.sampled_from([0, 0, 0, 15, 35, 95, 200]))
                if type_ in ("repayment", "default")
                else None,
                "status": draw(st.sampled_from(["open", "closed"]))
                if type_ == "credit_line"
                else None,
                "kind": draw(st.sampled_from(KINDS[type_])) if type_ in KINDS else None,
                "outcome": draw(st.sampled_from(["on_time", "late", "broken"]))
                if type_ == "contract_fulfilled"
                else None,
                "method": draw(st.sampled_from(["document", "phone", "bank"]))
                if type_ == "identity_verified"
                else None,
                "merchant_category": draw(st.sampled_from(["grocery", "gambling", "travel"]))
                if type_ in ("purchase", "refund")
                else None,
                "days_late": draw(st.sampled_from([0, 0, 3])) if type_ == "bill_payment" else None,
                **profile(draw, type_ == "profile_update"),
                **tie(draw, type_ == "tie"),
            }
        )
    return events


def compute(
    events: list[dict[str, Any]], tie_scores: dict[str, float | None] | None = None, **kw: Any
) -> dict[str, dict[str, Any]]:
    con = ibis.duckdb.connect()
    table = con.create_table("events", to_table(events))
    if tie_scores is not None:
        snapshot = pa.table(
            {"subject": list(tie_scores), "score": list(tie_scores.values())},
            schema=pa.schema([("subject", pa.string()), ("score", pa.float64())]),
        )
        kw["tie_scores"] = con.create_table("tie_scores", snapshot)
    result = characteristics_expr(table, AS_OF, reliability=RELIABILITY, **kw).to_pyarrow()
    con.disconnect()
    return {row.pop("subject"): row for row in result.to_pylist()}


def expected(
    events: list[dict[str, Any]], tie_scores: dict[str, float | None] | None = None, **kw: Any
) -> dict[str, dict[str, Any]]:
    rows = reference.visible(events, AS_OF, RELIABILITY, **kw)
    hist = reference.history(rows)
    cap = reference.capacity(rows)
    ident = reference.identity(rows, AS_OF)
    beh = reference.behavior(rows)
    net = reference.network(rows, tie_scores)
    empty = {c.name: None for c in CATALOG}
    parts = (hist, cap, ident, beh, net)
    return {
        s: {**empty, **{k: v for part in parts for k, v in part.get(s, {}).items()}}
        for s in {r["subject"] for r in rows}
    }


def assert_same(got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]]) -> None:
    assert set(got) == set(want)
    for subject, values in want.items():
        for name, value in values.items():
            actual = got[subject][name]
            if value is None or actual is None:
                assert actual == value, (subject, name, actual, value)
            else:
                assert math.isclose(actual, value, rel_tol=1e-9, abs_tol=1e-9), (
                    subject,
                    name,
                    actual,
                    value,
                )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_sets())
def test_characteristics_match_the_oracle(events: list[dict[str, Any]]) -> None:
    assert_same(compute(events), expected(events))


SCORES = st.one_of(st.none(), st.sampled_from([350.0, 480.0, 600.0, 612.5, 950.0]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=event_sets(),
    ties=st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", "s3"]),
            st.sampled_from([f"c{i}" for i in range(8)]),
            st.integers(1, 800),
            st.booleans(),
        ),
        max_size=20,
    ),
    tie_scores=st.dictionaries(st.sampled_from([*(f"c{i}" for i in range(9)), "s1"]), SCORES),
)
def test_ties_scores_from_the_previous_snapshot(
    events: list[dict[str, Any]],
    ties: list[tuple[str, str, int, bool]],
    tie_scores: dict[str, float | None],
) -> None:
    more = [
        tie_event(1000 + i, subject, other, days, verified=verified)
        for i, (subject, other, days, verified) in enumerate(ties)
    ]
    assert_same(compute([*events, *more], tie_scores), expected([*events, *more], tie_scores))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_sets(), data=st.data())
def test_exclusions_and_late_knowledge(events: list[dict[str, Any]], data: st.DataObject) -> None:
    excluded = [(e["source"], e["event_id"]) for e in events if data.draw(st.booleans())]
    known_at = AS_OF + timedelta(days=60)
    assert_same(
        compute(events, excluded=excluded, known_at=known_at),
        expected(events, excluded=excluded, known_at=known_at),
    )


def test_an_event_one_second_after_the_as_of_instant_changes_nothing() -> None:
    base = [credit_event("e1", "s1", AS_OF - timedelta(days=3))]
    later = credit_event(
        "e2",
        "s1",
        AS_OF + timedelta(seconds=1),
        days_past_due=200,
        ingested_at=AS_OF + timedelta(seconds=2),
    )
    late_report = credit_event(
        "e3",
        "s1",
        AS_OF - timedelta(days=1),
        days_past_due=200,
        ingested_at=AS_OF + timedelta(seconds=1),
    )
    assert compute([*base, later, late_report]) == compute(base)


def test_a_correction_replaces_the_event_it_supersedes() -> None:
    wrong = credit_event("e1", "s1", AS_OF - timedelta(days=30), days_past_due=120)
    fixed = credit_event(
        "e2",
        "s1",
        AS_OF - timedelta(days=30),
        days_past_due=0,
        ingested_at=AS_OF - timedelta(days=5),
        supersedes="e1",
    )
    assert compute([wrong])["s1"]["hist_worst_dpd_12m"] == pytest.approx(108.0)
    assert compute([wrong, fixed])["s1"]["hist_worst_dpd_12m"] == 0.0


def test_an_unregistered_source_weighs_nothing() -> None:
    event = credit_event(
        "e1", "s1", AS_OF - timedelta(days=30), type_="default", days_past_due=120, source="unknown"
    )
    values = compute([event])["s1"]
    assert (values["hist_defaults_24m"], values["hist_worst_dpd_12m"]) == (0.0, 0.0)


def tie_event(i: int, subject: str, other: str, days: int, *, verified: bool) -> dict[str, Any]:
    return {
        "event_id": f"t{i}",
        "source": "bank",
        "subject": subject,
        "type": "tie",
        "category": "network",
        "occurred_at": AS_OF - timedelta(days=days),
        "ingested_at": AS_OF - timedelta(days=days),
        "supersedes": None,
        "account_ref": None,
        "amount_minor": None,
        "days_past_due": None,
        "status": None,
        "kind": None,
        "counterpart": other,
        "relation": "friend",
        "verified": verified,
        "action": "add",
    }


def test_fifty_fake_ties_weigh_less_than_four_real_friends() -> None:
    ring = [tie_event(i, "attacker", f"sybil{i}", 5, verified=False) for i in range(50)]
    friends = [tie_event(100 + i, "honest", f"friend{i}", 400, verified=True) for i in range(4)]
    back = [tie_event(200 + i, f"friend{i}", "honest", 400, verified=True) for i in range(4)]
    values = compute([*ring, *friends, *back])
    assert values["attacker"]["net_ties"] < values["honest"]["net_ties"]
    assert values["attacker"]["net_ties"] == pytest.approx(50 * 0.9 * 0.3 * 0.5 * 0.5)
    assert values["attacker"]["net_ties_mean_score"] is None


def test_a_few_bought_high_scorers_are_trimmed_away() -> None:
    friends = [tie_event(i, "p", f"f{i}", 400, verified=True) for i in range(8)]
    back = [tie_event(100 + i, f"f{i}", "p", 400, verified=True) for i in range(8)]
    bought = [tie_event(200 + i, "p", f"rich{i}", 400, verified=True) for i in range(2)]
    scores: dict[str, float | None] = {f"f{i}": 500.0 + i for i in range(8)}
    scores |= {"rich0": 950.0, "rich1": 950.0}
    honest = compute([*friends, *back], scores)["p"]["net_ties_mean_score"]
    gamed = compute([*friends, *back, *bought], scores)["p"]["net_ties_mean_score"]
    assert honest == pytest.approx(503.5)
    # two one-sided ties weigh 0.45 each out of 8.1: inside the top fifth that is cut away
    assert gamed == pytest.approx(honest, abs=3.0)


def test_ties_without_a_published_score_are_left_out_not_zero() -> None:
    friends = [tie_event(i, "p", f"f{i}", 400, verified=True) for i in range(3)]
    values = compute(friends, {"f0": 700.0, "f1": None})["p"]
    assert values["net_ties_mean_score"] == pytest.approx(700.0)
    assert compute(friends, {})["p"]["net_ties_mean_score"] is None
