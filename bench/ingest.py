"""Ingest throughput against writing the same rows straight to Delta, measured in one run.

    python bench/ingest.py [--events 1000000] [--subjects 50000]

Baseline: ``deltalake.write_deltalake`` of the flat events as they are (no validation, no
tokenising, no vault, no consent). Then ``credo ingest`` of the same events from Parquet and from
JSONL, each into a fresh home. Targets (issue 2): Parquet within 3x of the raw write, JSONL at
least 100k events/s on this machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import write_deltalake

from credo.clock import FixedClock
from credo.consent.collection import ConsentChange
from credo.events.dataset import FLAT_EVENT_SCHEMA
from credo.events.schemas import CATEGORIES
from credo.home import Home, initialise
from credo.settings import Settings

NOW = datetime(2026, 11, 15, tzinfo=UTC)


def national_id(i: int) -> str:
    return f"11010119{80 + i % 20:02d}0101{i:06d}"[:17] + "X"


def make_events(n: int, subjects: int, seed: int = 1) -> pa.Table:
    """A realistic mix: repayments, purchases, bill payments, balances, ties, profile updates."""
    rng = np.random.default_rng(seed)
    who = rng.integers(0, subjects, n)
    kind = rng.choice(6, n, p=[0.25, 0.35, 0.15, 0.15, 0.05, 0.05])
    types = np.array(
        ["repayment", "purchase", "bill_payment", "balance_snapshot", "tie", "profile_update"]
    )[kind]
    seconds = rng.integers(0, 365 * 86400, n)
    start = int(datetime(2025, 11, 1, tzinfo=UTC).timestamp())
    occurred = pa.array((start + seconds) * 1_000_000, pa.int64()).cast(
        pa.timestamp("us", tz="UTC")
    )
    ids = [national_id(int(i)) for i in who]
    cols: dict[str, object] = {
        "type": types.tolist(),
        "event_id": [f"ev-{i:09d}" for i in range(n)],
        "subject": ids,
        "occurred_at": occurred,
        "amount_minor": np.where(
            np.isin(kind, [0, 1, 2, 3]), rng.integers(100, 1_000_000, n), None
        ).tolist(),
        "currency": np.where(np.isin(kind, [0, 1, 2, 3]), "CNY", None).tolist(),
        "account_ref": np.where(np.isin(kind, [0, 3]), [f"acct-{w}" for w in who], None).tolist(),
        "kind": np.where(kind == 3, "deposit", None).tolist(),
        "merchant_category": np.where(kind == 1, "grocery", None).tolist(),
        "biller": np.where(kind == 2, "utility", None).tolist(),
        "counterpart": np.where(kind == 4, [national_id(int(w) + 1) for w in who], None).tolist(),
        "relation": np.where(kind == 4, "friend", None).tolist(),
        "name": np.where(kind == 5, [f"Person {w}" for w in who], None).tolist(),
        "phone": np.where(kind == 5, [f"+86138{w:08d}" for w in who], None).tolist(),
    }
    arrays = []
    for field in FLAT_EVENT_SCHEMA:
        value = cols.get(field.name)
        arrays.append(
            pa.nulls(n, field.type) if value is None else pa.array(value, type=field.type)
        )
    return pa.Table.from_arrays(arrays, schema=FLAT_EVENT_SCHEMA)


def write_jsonl(table: pa.Table, path: Path) -> None:
    payload_names = [
        n for n in table.column_names if n not in ("type", "event_id", "subject", "occurred_at")
    ]
    with path.open("w") as handle:
        for batch in table.to_batches(100_000):
            for row in batch.to_pylist():
                record = {
                    "event_id": row["event_id"],
                    "subject": row["subject"],
                    "type": row["type"],
                    "occurred_at": row["occurred_at"].isoformat(),
                    "payload": {k: row[k] for k in payload_names if row[k] is not None},
                }
                handle.write(json.dumps(record) + "\n")


def fresh_home(root: Path, subjects: int) -> Home:
    settings = Settings(home=root)
    initialise(settings, dev_key=True)
    home = Home(settings, clock=FixedClock(NOW))
    home.sources.add("bench", CATEGORIES)
    home.consents.record(
        ConsentChange(national_id(i), c, "grant", NOW)
        for i in range(subjects + 1)
        for c in CATEGORIES
    )
    return home


def timed(label: str, func: object) -> float:
    started = time.perf_counter()
    func()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    print(f"  {label:<48} {seconds:8.2f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=50_000)
    args = parser.parse_args()
    n = args.events
    work = Path(tempfile.mkdtemp(prefix="credo-bench-"))
    try:
        print(f"generating {n:,} events for {args.subjects:,} subjects in {work}")
        table = make_events(n, args.subjects)
        pq.write_table(table, work / "events.parquet")
        write_jsonl(table, work / "events.jsonl")
        print(
            f"  parquet {(work / 'events.parquet').stat().st_size / 1e6:.0f} MB, "
            f"jsonl {(work / 'events.jsonl').stat().st_size / 1e6:.0f} MB"
        )

        print("measuring")
        with_month = table.append_column(
            "month",
            pa.array(table.column("occurred_at").to_numpy().astype("datetime64[M]").astype(str)),
        )
        baseline = timed(
            "baseline: write_deltalake (raw rows, by month)",
            lambda: write_deltalake(str(work / "raw"), with_month, partition_by=["month"]),
        )
        results = {}
        for fmt in ("parquet", "jsonl"):
            home = fresh_home(work / f"home-{fmt}", args.subjects)
            path = str(work / f"events.{fmt}")
            report_box: list[object] = []
            seconds = timed(
                f"credo ingest {fmt}",
                lambda home=home, path=path, box=report_box: box.append(
                    home.ingestor().ingest([path], source="bench")
                ),
            )
            report = report_box[0]
            assert report.accepted == n, report.to_json()  # type: ignore[attr-defined]
            results[fmt] = seconds
            home.dispose()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print()
        print(f"{'input':<10}{'events/s':>14}{'x raw write':>14}")
        print(f"{'raw delta':<10}{n / baseline:>14,.0f}{1.0:>14.2f}")
        for fmt, seconds in results.items():
            print(f"{fmt:<10}{n / seconds:>14,.0f}{seconds / baseline:>14.2f}")
        print(
            f"\ntargets: parquet <= 3.00x raw write -> "
            f"{'met' if results['parquet'] / baseline <= 3 else 'NOT met'}; "
            f"jsonl >= 100,000 events/s -> "
            f"{'met' if n / results['jsonl'] >= 100_000 else 'NOT met'}"
        )
        print(f"peak RSS of this process: {peak:,.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
