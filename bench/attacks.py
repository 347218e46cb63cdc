"""Gaming credo: what cheap strategies gain poor-scoring attackers, against genuine repayment.

    python bench/attacks.py [--subjects 4000] [--attackers 40] [--seed 7] [--keep DIR]

A synthetic population is generated, loaded, its sources' reliability estimated, and scored
(a scorecard trained as of 2025-10-31, monthly runs as of 2026-09-30 and 2026-10-31), as `make
demo` does. Attackers are people scored poor (below 550) in September who are not sybil
accounts and had a late or failed payment between May and October 2026 (people for whom paying
on time is a real option). Each strategy is applied to
every attacker on a fresh copy of the home, as events dated in October 2026 (the attacker
also grants every collection consent, which is theirs to give); then October is scored and each
attacker's score is compared with their October score without the attack. The strategies (issue 9):

    a  50 new ties to the 50 best-scored people (one-sided: they do not tie back)
    b  a ring of 50 fresh accounts, every one tied to every other and to the attacker
    c  200 tiny purchases and on-time bill payments in the last month
    d  a complete profile (every personal field, long tenure, master's degree), unverified
    e  flattering records (income, assets, deposits, on-time repayments, kept contracts, an
       identity check) through a newly registered source of reliability 0.3
    f  cutting every tie to people scored poor or not scored
    genuine  repaying on time for the last 6 months: each of the attacker's negative records of
       May-October 2026 is corrected by its source to an on-time payment

Prints, per strategy, the median and worst gain in points, and the share of attackers gaining
more than 10. Target: no cheap strategy (a-e) gains more than 10 points at the median, and
each gains less than genuine repayment.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from credo.consent.collection import ConsentChange
from credo.events.dataset import read_manifest
from credo.events.schemas import CATEGORIES, PAYLOAD_MODELS
from credo.home import Home
from credo.settings import Settings

SEPTEMBER = datetime(2026, 10, 1, tzinfo=UTC)  # as of 2026-09-30
OCTOBER = datetime(2026, 11, 1, tzinfo=UTC)  # as of 2026-10-31
WINDOW_START = datetime(2026, 5, 1, tzinfo=UTC)  # six months before OCTOBER
POOR = 550
Record = dict[str, Any]
_ON_TIME = {"repayment": "days_past_due", "bill_payment": "days_late"}
"""Payment events and their lateness field."""


def credo(home: Path, *args: str) -> None:
    env = dict(os.environ, CREDO_HOME=str(home))
    subprocess.run([sys.executable, "-m", "credo", *args], env=env, check=True, capture_output=True)


def build(root: Path, subjects: int, seed: int) -> tuple[Path, Path]:
    """A scored home and its dataset under ``root`` (reused when already built)."""
    data, home = root / "data", root / "home"
    if (home / "built").exists():
        return home, data
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"  setup: {subjects:,} people, load, train, September's run", flush=True)
    credo(
        home,
        "synth",
        "--subjects",
        str(subjects),
        "--months",
        "24",
        "--seed",
        str(seed),
        "--out",
        str(data),
    )
    credo(home, "init", "--dev-key")
    credo(home, "load", str(data))
    credo(home, "source", "reliability", "--apply")
    credo(home, "train", "--as-of", "2025-10-31")
    credo(home, "run", "--as-of", "2026-09-30")
    (home / "built").touch()
    return home, data


class World:
    """The template home, who is who, and the attackers."""

    def __init__(self, template: Path, data: Path, attackers: int) -> None:
        self.template = template
        home = Home(Settings(home=template))
        with (data / "consents.csv").open() as handle:
            identifiers = sorted({row["subject"] for row in csv.DictReader(handle)})
        self.identifier = {home.tokeniser.subject(i): i for i in identifiers}
        current = home.snapshots.current()
        assert current is not None
        snapshot = home.snapshots.table(current.id).to_pylist()
        self.score = {r["subject"]: r["score"] for r in snapshot}
        truth = pq.read_table(data / "truth.parquet", columns=["subject", "is_sybil"])
        sybils = {
            home.tokeniser.subject(s) for s, y in zip(*truth.to_pydict().values(), strict=True) if y
        }
        poor = sorted(
            t for t, s in self.score.items() if s is not None and s < POOR and t not in sybils
        )
        scored = sorted(((s, t) for t, s in self.score.items() if s is not None), reverse=True)
        self.best = [t for _s, t in scored[:50]]
        home.dispose()
        self.raw = _raw_events(data, {self.identifier[t]: t for t in poor})
        # attackers for whom paying on time is a real option: a late or failed payment lately
        lately = [t for t in poor if any(_negative_lately(r) for r in self.raw.get(t, []))]
        self.attackers = lately[:attackers]

    def fresh(self, root: Path) -> Home:
        target = root / "attack"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.template, target)
        return Home(Settings(home=target))


def _raw_events(data: Path, token_of: dict[str, str]) -> dict[str, list[Record]]:
    """The dataset's events of the people in ``token_of`` (identifier -> token), by token."""
    manifest = read_manifest(data)
    found: dict[str, list[Record]] = {}
    for spec in manifest.sources:
        for path in manifest.event_paths(spec.name):
            table = pq.read_table(path, filters=[("subject", "in", sorted(token_of))])
            for row in table.to_pylist():
                found.setdefault(token_of[row["subject"]], []).append(row)
    return found


def _negative_lately(row: Record) -> bool:
    """A negative record of the six months before October's run."""
    if not WINDOW_START <= row["occurred_at"] < OCTOBER:
        return False
    kind = row["type"]
    return (
        kind in ("default", "collection")
        or (kind in _ON_TIME and (row[_ON_TIME[kind]] or 0) > 0)
        or (kind == "contract_fulfilled" and row["outcome"] != "on_time")
    )


def at(day: int, hour: int = 12) -> str:
    return (datetime(2026, 10, day, hour, tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(event_id: str, subject: str, type_: str, when: str, **payload: Any) -> Record:
    return {
        "event_id": event_id,
        "subject": subject,
        "type": type_,
        "occurred_at": when,
        "payload": payload,
    }


def tie(event_id: str, subject: str, counterpart: str, when: str, action: str = "add") -> Record:
    return event(
        event_id, subject, "tie", when, counterpart=counterpart, relation="friend", action=action
    )


def grant_everything(home: Home, identifiers: Iterable[str]) -> None:
    """Attackers (and their fresh accounts) consent to every category from every source."""
    when = datetime(2026, 10, 1, tzinfo=UTC)
    home.consents.record(
        ConsentChange(identifier=i, category=c, action="grant", at=when)
        for i in identifiers
        for c in CATEGORIES
    )


def ingest(home: Home, records: list[Record], source: str) -> int:
    if not records:
        return 0
    report = home.ingestor().ingest_records(records, source=source)
    if report.rejected:
        reasons = {r.reason for r in report.rejected_records[:5]}
        raise SystemExit(f"{report.rejected} attack events of {source} rejected: {reasons}")
    return report.accepted


# --- the strategies ---------------------------------------------------------------------------


def ties_to_the_best(home: Home, world: World, who: str, n: int) -> None:
    me = world.identifier[who]
    records = [
        tie(f"atk-a-{n}-{k}", me, world.identifier[b], at(20)) for k, b in enumerate(world.best)
    ]
    ingest(home, records, "social")


def sybil_ring(home: Home, world: World, who: str, n: int) -> None:
    me = world.identifier[who]
    ring = [f"99{n:04d}{k:04d}0000000000"[:18] for k in range(50)]
    grant_everything(home, ring)
    records = []
    for i, a in enumerate([me, *ring]):
        for j, b in enumerate([me, *ring]):
            if i != j:
                records.append(tie(f"atk-b-{n}-{i}-{j}", a, b, at(10 + (i % 15))))
    ingest(home, records, "social")


def tiny_activity(home: Home, world: World, who: str, n: int) -> None:
    me = world.identifier[who]
    purchases = [
        event(
            f"atk-c-{n}-p{k}",
            me,
            "purchase",
            at(1 + k % 30, k % 24),
            amount_minor=100,
            currency="CNY",
            merchant_category="grocery",
        )
        for k in range(100)
    ]
    bills = [
        event(
            f"atk-c-{n}-b{k}",
            me,
            "bill_payment",
            at(1 + k % 30, k % 24),
            amount_minor=100,
            currency="CNY",
            biller="utility",
            days_late=0,
        )
        for k in range(100)
    ]
    ingest(home, purchases, "ecommerce")
    ingest(home, bills, "utility")


def full_profile(home: Home, world: World, who: str, n: int) -> None:
    me = world.identifier[who]
    profile = event(
        f"atk-d-{n}",
        me,
        "profile_update",
        at(15),
        name="Wang Fang",
        national_id=me,
        phone=f"+86 139 {n:04d} 0000",
        address="1 Chang'an Avenue, Beijing",
        email=f"wang.fang.{n}@example.cn",
        address_since="2010-01-01",
        phone_since="2010-01-01",
        education="master",
        occupation="civil_servant",
    )
    ingest(home, [profile], "ecommerce")


def shady_source(home: Home, world: World, who: str, n: int) -> None:
    me = world.identifier[who]
    if "shady" not in {s.name for s in home.sources.all()}:
        home.sources.add("shady", CATEGORIES, reliability=0.3, description="attack bench")
    records = [
        event(
            f"atk-e-{n}-i",
            me,
            "income_verified",
            at(3),
            amount_minor=5_000_000,
            currency="CNY",
            method="employer",
        ),
        event(
            f"atk-e-{n}-a",
            me,
            "asset",
            at(4),
            kind="property",
            amount_minor=500_000_000,
            currency="CNY",
        ),
        event(
            f"atk-e-{n}-d",
            me,
            "balance_snapshot",
            at(5),
            account_ref=f"S{n}",
            kind="deposit",
            amount_minor=20_000_000,
            currency="CNY",
        ),
        event(
            f"atk-e-{n}-v",
            me,
            "identity_verified",
            at(6),
            method="document",
            document_type="passport",
        ),
        *(
            event(
                f"atk-e-{n}-r{k}",
                me,
                "repayment",
                at(7 + k),
                account_ref=f"L{n}",
                amount_minor=100_000,
                currency="CNY",
                days_past_due=0,
            )
            for k in range(10)
        ),
        *(
            event(
                f"atk-e-{n}-c{k}",
                me,
                "contract_fulfilled",
                at(18 + k),
                contract_ref=f"C{n}-{k}",
                outcome="on_time",
            )
            for k in range(5)
        ),
    ]
    ingest(home, records, "shady")


def cut_poor_ties(home: Home, world: World, who: str, n: int) -> None:
    me = world.identifier[who]
    ties = home.lake.dataset().to_table(
        columns=["counterpart", "source"],
        filter=(ds.field("subject") == who)
        & (ds.field("type") == "tie")
        & (ds.field("action") == "add"),
    )
    records: dict[str, list[Record]] = {}
    for k, (other, source) in enumerate(zip(*ties.to_pydict().values(), strict=True)):
        score = world.score.get(other)
        if other in world.identifier and (score is None or score < POOR):
            removal = tie(f"atk-f-{n}-{k}", me, world.identifier[other], at(25), "remove")
            records.setdefault(source, []).append(removal)
    for source, batch in records.items():
        ingest(home, batch, source)


def _payload(row: Record) -> Record:
    fields = PAYLOAD_MODELS[row["type"]].model_fields
    return {k: _plain(row[k]) for k in fields if row.get(k) is not None}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def genuine_repayment(home: Home, world: World, who: str, n: int) -> None:
    """Each of the attacker's negative records of the last six months corrected by its source
    to an on-time payment (a default or collection becomes an on-time repayment)."""
    by_source: dict[str, list[Record]] = {}
    for k, row in enumerate(world.raw.get(who, [])):
        if not WINDOW_START <= row["occurred_at"] < OCTOBER:
            continue
        kind, payload = row["type"], _payload(row)
        if kind in _ON_TIME and payload.get(_ON_TIME[kind], 0) > 0:
            payload[_ON_TIME[kind]] = 0
        elif kind in ("default", "collection"):
            kind = "repayment"
            payload = {key: payload[key] for key in ("account_ref", "amount_minor", "currency")}
        elif kind == "contract_fulfilled" and payload.get("outcome") != "on_time":
            payload = {"contract_ref": payload["contract_ref"], "outcome": "on_time"}
        else:
            continue
        when = row["occurred_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        fixed = event(f"atk-g-{n}-{k}", row["subject"], kind, when, **payload)
        fixed["supersedes"] = row["event_id"]
        by_source.setdefault(row["source"], []).append(fixed)
    for source, batch in by_source.items():
        ingest(home, batch, source)


STRATEGIES: dict[str, tuple[str, Callable[[Home, World, str, int], None]]] = {
    "a": ("50 ties to the best-scored", ties_to_the_best),
    "b": ("ring of 50 fresh accounts", sybil_ring),
    "c": ("200 tiny purchases and bills", tiny_activity),
    "d": ("complete unverified profile", full_profile),
    "e": ("records via a 0.3 source", shady_source),
    "f": ("cut ties to poor scorers", cut_poor_ties),
    "genuine": ("on time for 6 months", genuine_repayment),
}


def october_scores(home: Home, subjects: list[str]) -> dict[str, int | None]:
    home.monthly_run(OCTOBER)
    current = home.snapshots.current()
    assert current is not None
    table = home.snapshots.table(current.id)
    rows = table.filter(pc.is_in(table.column("subject"), pa.array(subjects))).to_pylist()
    return {r["subject"]: r["score"] for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=4_000)
    parser.add_argument("--attackers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=",".join(STRATEGIES), help="strategies to run")
    parser.add_argument("--keep", type=Path, default=None, help="keep the scored home here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="credo-bench-attacks-"))
    work = Path(tempfile.mkdtemp(prefix="credo-bench-attacks-copy-"))
    try:
        template, data = build(root, args.subjects, args.seed)
        world = World(template, data, args.attackers)
        print(f"  {len(world.attackers)} attackers scored below {POOR} in September", flush=True)
        home = world.fresh(work)
        baseline = october_scores(home, world.attackers)
        home.dispose()
        results = []
        for key in args.only.split(","):
            name, apply = STRATEGIES[key]
            home = world.fresh(work)
            grant_everything(home, [world.identifier[a] for a in world.attackers])
            for n, attacker in enumerate(world.attackers):
                apply(home, world, attacker, n)
            after = october_scores(home, world.attackers)
            home.dispose()
            gains = [
                after[a] - baseline[a]  # type: ignore[operator]
                for a in world.attackers
                if after.get(a) is not None and baseline.get(a) is not None
            ]
            results.append((key, name, gains))
            print(f"  {key}: median {statistics.median(gains):+.0f}", flush=True)
    finally:
        shutil.rmtree(work)
        if args.keep is None:
            shutil.rmtree(root)
    print(
        f"\npoints gained by {len(world.attackers)} attackers (scored < {POOR} in September), "
        f"October's score with the strategy minus without; {args.subjects:,} people"
    )
    print(f"  {'strategy':34} {'scored':>6} {'median':>7} {'worst':>6} {'>10 pts':>8}")
    genuine = next((statistics.median(g) for k, _n, g in results if k == "genuine"), None)
    for key, name, gains in results:
        share = sum(g > 10 for g in gains) / len(gains)
        print(
            f"  {key + ' ' + name:34} {len(gains):6d} {statistics.median(gains):+7.0f} "
            f"{max(gains):+6.0f} {share:8.0%}"
        )
    if genuine is not None:
        cheap = [(k, statistics.median(g)) for k, _n, g in results if k in "abcde"]
        met = all(m <= 10 and m < genuine for _k, m in cheap)
        print(
            f"  target (a-e median <= 10 and below genuine {genuine:+.0f}): "
            f"{'met' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
