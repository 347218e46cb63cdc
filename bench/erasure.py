"""Erasure and retention on a synthetic home: what one erasure costs, and what batching saves.

    python bench/erasure.py [--subjects 20000] [--months 12] [--people 10] [--keep DIR]

A home of ``--subjects`` synthetic people is built (setup, not timed; ``--keep DIR`` reuses
the homes of ``bench/run.py``) and copied afresh for each measurement, since erasing changes it.
Printed, each with its ratio to the baseline measured in the same run (a full read of every
column of the lake, which is what a purge at worst must rewrite):

- erasing one person (store, then the lake purge: rewrite of the months holding them, vacuum,
  checkpoint, old log removed);
- erasing ``--people`` people one after the other;
- erasing the same people batched (each removed from the store, then one purge for all);
- a retention pass that finds the expired negative records (a dry run: the synthetic history
  is younger than five years, so nothing expires).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.dataset as ds

from credo.home import Home
from credo.settings import Settings
from run import build  # bench/run.py: the synthetic homes


def fresh(template: Path, root: Path) -> Home:
    target = root / "copy"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target)
    return Home(Settings(home=target))


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def people_with_most_events(home: Home, count: int) -> list[str]:
    table = home.lake.dataset().to_table(columns=["subject"])
    counts = table.group_by("subject").aggregate([("subject", "count")])
    ranked = counts.sort_by([("subject_count", "descending"), ("subject", "ascending")])
    return ranked.column("subject").to_pylist()[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="credo-bench-erasure-"))
    template = build(root, args.subjects, args.months)
    work = Path(tempfile.mkdtemp(prefix="credo-bench-erasure-copy-"))
    try:
        home = fresh(template, work)
        summary = home.lake.summary()
        people = people_with_most_events(home, args.people)
        baseline = timed(lambda: home.lake.dataset().to_table())
        rows: list[tuple[str, float]] = [("baseline: read the whole lake", baseline)]

        home = fresh(template, work)
        rows.append(
            ("erase 1 person", timed(lambda: home.erasures.erase(people[0], actor="operator")))
        )
        gone = ds.field("subject") == people[0]
        assert home.lake.dataset().count_rows(filter=gone) == 0

        home = fresh(template, work)
        one_by_one = timed(lambda: [home.erasures.erase(p, actor="operator") for p in people])
        rows.append((f"erase {len(people)} people one by one", one_by_one))

        home = fresh(template, work)

        def batched() -> None:
            for person in people:
                home.erasures.forget(person, actor="operator")
            home.erasures.purge_pending()

        rows.append((f"erase {len(people)} people batched", timed(batched)))
        home = fresh(template, work)
        rows.append(("retention pass (dry run)", timed(lambda: home.apply_retention(dry_run=True))))
    finally:
        shutil.rmtree(work)
        if args.keep is None:
            shutil.rmtree(root)
    print(
        f"\nerasure on {summary.subjects:,} people, {summary.events:,} events, "
        f"{summary.files} files, {summary.size_bytes / 1e6:,.0f} MB "
        f"({len(summary.by_source)} sources, {summary.first_month} to {summary.last_month})"
    )
    print(f"  {'measurement':40} {'seconds':>9} {'x baseline':>11}")
    for name, seconds in rows:
        print(f"  {name:40} {seconds:9.2f} {seconds / baseline:11.1f}")


if __name__ == "__main__":
    main()
