"""Agreement between sources on facts they both report: the evidence of source reliability.

Counted inside the engine (DuckDB or Spark), per source and **family** of facts; only the small
per-source result comes back, for :func:`credo.events.reliability.estimate_reliability`.

``identity``
    The latest value each source holds of a person's name, national id, phone, address and
    email (keyed fingerprints: equal exactly when the values are). A value *overlaps* when
    another source holds the same field of the person, and *agrees* when at least half of the
    other sources holding it hold the same value.
``arrears``
    A serious negative credit record (a default, a collection, or a repayment 30 or more days
    past due) in month ``m``. It *overlaps* when another source reported the person's repayments
    in months ``m-2 … m+1``, and *agrees* when another source reported the person in arrears
    (any days past due, a default or a collection) in months ``m-6 … m+2``: real trouble seldom
    shows at one lender alone, a made-up record usually does.

Each fact is also held against a person picked at random (the next person in token order;
tokens are keyed hashes, so that order knows nothing of people) and checked against the other
sources' facts about *that* person: the **chance** counts, which tell how often a made-up fact
would be confirmed anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir

from credo.events.reliability import FamilyAgreement
from credo.features.asof import DAYS_PER_MONTH, events_as_of
from credo.features.engines import feature_engine
from credo.lake.delta import DeltaEventLake
from credo.settings import DuckDBEngine, SparkEngine

__all__ = [
    "ARREARS_CONFIRM_MONTHS",
    "ARREARS_COVER_MONTHS",
    "FAMILIES",
    "PROFILE_FIELDS",
    "SERIOUS_DAYS_PAST_DUE",
    "agreement_expr",
    "arrears_checks",
    "measure_agreement",
]

FAMILIES = {"identity": "identity", "arrears": "history"}
"""Each family of facts, and the category of data it checks."""
PROFILE_FIELDS = ("name_fp", "national_id_fp", "phone_fp", "address_fp", "email_fp")
SERIOUS_DAYS_PAST_DUE = 30
ARREARS_COVER_MONTHS = (-2, 1)
"""Months around a record in which another source must report the person's repayments."""
ARREARS_CONFIRM_MONTHS = (-6, 2)
"""Months around a record in which another source reporting arrears confirms it."""

_STATUS_TYPES = ("repayment", "default", "collection")
_ALWAYS_NEGATIVE = ("default", "collection")
_FACT = ("source", "subject", "field", "value")
_COUNTS = ("records", "facts", "agreeing", "chance_facts", "chance_agreeing")


def _partners(subjects: ir.Table) -> ir.Table:
    """Each subject with the next one in token order (the last with the first)."""
    people = subjects.select("subject").distinct()
    following = people.subject.lead(1).over(ibis.window(order_by=people.subject))
    first = people.subject.min().over(ibis.window())
    paired = people.select(subject=people.subject, partner=ibis.coalesce(following, first))
    return paired.filter(paired.partner != paired.subject)


def _tally(rows: ir.Table, overlaps: ir.BooleanValue, agrees: ir.BooleanValue) -> ir.Table:
    """Per source: facts (rows overlapping) and agreeing facts."""
    return rows.group_by("source").aggregate(
        facts=overlaps.cast("int64").sum(),
        agreeing=(overlaps & agrees).cast("int64").sum(),
    )


def _combine(family: str, records: ir.Table, own: ir.Table, chance: ir.Table) -> ir.Table:
    """One row per source of ``records``, with its own and its chance counts."""
    own = own.rename(o_source="source")
    chance = chance.select(
        c_source=chance.source, chance_facts=chance.facts, chance_agreeing=chance.agreeing
    )
    joined = records.left_join(own, records.source == own.o_source).left_join(
        chance, records.source == chance.c_source
    )
    return joined.select(
        source=joined.source,
        family=ibis.literal(family),
        category=ibis.literal(FAMILIES[family]),
        **{name: ibis.coalesce(joined[name], 0).cast("int64") for name in _COUNTS},
    )


def _profile_facts(events: ir.Table) -> ir.Table:
    """The latest value (``source``, ``subject``, ``field``, ``value``) each source holds of
    each personal field of each person."""
    profiles = events.filter(events.type == "profile_update")
    parts = [
        profiles.filter(profiles[name].notnull()).select(
            "source", "subject", "occurred_at", field=ibis.literal(name), value=profiles[name]
        )
        for name in PROFILE_FIELDS
    ]
    rows = ibis.union(*parts)
    keys = ["source", "subject", "field"]
    last = rows.group_by(keys).aggregate(last_at=rows.occurred_at.max())
    latest = rows.join(last, [*keys, rows.occurred_at == last.last_at])
    return latest.group_by(keys).aggregate(value=latest.value.max())  # ties: the largest


def _agrees(others: ir.IntegerValue, matching: ir.IntegerValue) -> ir.BooleanValue:
    """At least half of the other holders (and at least one) hold the same value."""
    return (matching >= 1) & (matching * 2 >= others)


def _drawn_profiles(facts: ir.Table, holders: ir.Table, same: ir.Table) -> ir.Table:
    """Each fact held against the partner's field: ``others`` (the partner's holders of the
    field but the source) and ``matching`` (those of them holding the fact's value)."""
    mine = facts.select(m_source="source", m_subject="subject", m_field="field", m_value="value")
    held = holders.rename(p_subject="subject", p_field="field", p_n="n")
    held_same = same.rename(q_subject="subject", q_field="field", q_value="value")
    drawn = facts.join(_partners(facts), "subject")
    drawn = drawn.left_join(
        held, [drawn.partner == held.p_subject, drawn.field == held.p_field]
    ).select(*_FACT, "partner", "p_n")
    drawn = drawn.left_join(
        held_same,
        [
            drawn.partner == held_same.q_subject,
            drawn.field == held_same.q_field,
            drawn.value == held_same.q_value,
        ],
    ).select(*_FACT, "partner", "p_n", "n_value")
    drawn = drawn.left_join(
        mine,
        [
            drawn.source == mine.m_source,
            drawn.partner == mine.m_subject,
            drawn.field == mine.m_field,
        ],
    )
    own_value = drawn.m_value == drawn.value
    return drawn.select(
        "source",
        others=ibis.coalesce(drawn.p_n, 0) - drawn.m_value.notnull().cast("int64"),
        matching=ibis.coalesce(drawn.n_value, 0) - own_value.fill_null(False).cast("int64"),
    )


def _identity(events: ir.Table) -> ir.Table:
    facts = _profile_facts(events)
    holders = facts.group_by(["subject", "field"]).aggregate(n=facts.count())
    same = facts.group_by(["subject", "field", "value"]).aggregate(n_value=facts.count())
    own = facts.join(holders, ["subject", "field"]).join(same, ["subject", "field", "value"])
    own = own.select("source", others=own.n - 1, matching=own.n_value - 1)
    drawn = _drawn_profiles(facts, holders, same)
    records = facts.group_by("source").aggregate(records=facts.count())
    return _combine(
        "identity",
        records,
        _tally(own, own.others >= 1, _agrees(own.others, own.matching)),
        _tally(drawn, drawn.others >= 1, _agrees(drawn.others, drawn.matching)),
    )


def _corroboration(claims: ir.Table, cells: ir.Table) -> ir.Table:
    """Per claim (``source``, ``event_id``, ``target``, ``m``): whether another source reported
    the target person's repayments around ``m`` (``covered``), and arrears (``confirmed``)."""
    low, high = ARREARS_CONFIRM_MONTHS
    cover_low, cover_high = ARREARS_COVER_MONTHS
    other = cells.select(c_source="source", c_subject="subject", c_m="m", c_arrears="arrears")
    joined = claims.join(
        other,
        [
            claims.target == other.c_subject,
            claims.source != other.c_source,
            other.c_m >= claims.m + low,
            other.c_m <= claims.m + high,
        ],
    )
    near = (joined.c_m >= joined.m + cover_low) & (joined.c_m <= joined.m + cover_high)
    return joined.group_by(["source", "event_id"]).aggregate(
        covered=near.cast("int64").max() == 1,
        confirmed=joined.c_arrears.max() == 1,
    )


def _status(events: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Credit status per source, person and month (``cells``: ``arrears`` 0/1) and the serious
    negative records (``claims``), with the month index ``m``."""
    status = events.filter(events.type.isin(_STATUS_TYPES))
    days = status.days_past_due.fill_null(0)
    always = status.type.isin(_ALWAYS_NEGATIVE)
    status = status.mutate(
        m=status.occurred_at.year().cast("int64") * 12 + status.occurred_at.month().cast("int64"),
        arrears=(always | (days > 0)).cast("int64"),
        claim=always | (days >= SERIOUS_DAYS_PAST_DUE),
    )
    cells = status.group_by(["source", "subject", "m"]).aggregate(arrears=status.arrears.max())
    claims = status.filter(status.claim).select("source", "event_id", "subject", "m")
    return cells, claims


def arrears_checks(events: ir.Table) -> ir.Table:
    """Each serious negative record that overlaps another source's reports (``source``,
    ``event_id``), and whether another source ``confirmed`` it: the ``arrears`` facts one by
    one, for looking into an estimate (no person's token in the result)."""
    cells, claims = _status(events)
    checks = _corroboration(claims.mutate(target=claims.subject), cells)
    return checks.filter(checks.covered).select("source", "event_id", "confirmed")


def _arrears(events: ir.Table) -> ir.Table:
    cells, claims = _status(events)
    own = _corroboration(claims.mutate(target=claims.subject), cells)
    drawn = claims.join(_partners(cells), "subject")
    chance = _corroboration(drawn.select("source", "event_id", "m", target=drawn.partner), cells)
    records = claims.group_by("source").aggregate(records=claims.count())
    return _combine(
        "arrears",
        records,
        _tally(own, own.covered, own.confirmed),
        _tally(chance, chance.covered, chance.confirmed),
    )


def agreement_expr(events: ir.Table) -> ir.Table:
    """Per source and family: ``records``, ``facts`` (overlapping), ``agreeing``,
    ``chance_facts`` and ``chance_agreeing``, over ``events`` (already the events that count:
    :func:`credo.features.asof.events_as_of`)."""
    return ibis.union(_identity(events), _arrears(events))


def measure_agreement(
    lake: DeltaEventLake,
    as_of: datetime,
    *,
    sources: Iterable[str],
    engine: DuckDBEngine | SparkEngine,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
    window_months: int = 24,
) -> list[FamilyAgreement]:
    """How the ``sources``' facts of the last ``window_months`` before ``as_of`` agree.

    Events count as the monthly run sees them (:func:`~credo.features.asof.events_as_of`):
    corrected, disputed (``excluded``) and expired records are left out, and so are the events
    of sources not named. Every event ingested by ``as_of`` counts (at that very instant too:
    the lake as it stands now).
    """
    names = sorted(set(sources))
    if not names:
        return []
    since = as_of - timedelta(days=round(window_months * DAYS_PER_MONTH))
    runner = feature_engine(engine)
    try:
        events = events_as_of(
            runner.events(lake),
            as_of,
            reliability=dict.fromkeys(names, 1.0),
            excluded=excluded,
            retention=retention,
            known_at=as_of + timedelta(microseconds=1),
        )
        events = events.filter((events.w > 0) & (events.occurred_at >= ibis.literal(since)))
        table = runner.execute(agreement_expr(events).order_by(["family", "source"]))
    finally:
        runner.close()
    return [FamilyAgreement(**row) for row in table.to_pylist()]
