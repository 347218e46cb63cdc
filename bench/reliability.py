"""Source reliability against the synthetic truth: each source's estimate beside the share of
its records that the generator made up (``false_events.parquet``), and what applying the
estimates does to the scores of the people those records were made up about.

    python bench/reliability.py [--subjects 10000] [--months 24] [--seed 7] [--keep DIR]
                                [--effect]

A synthetic population is generated and loaded into a fresh credo home (setup, not timed; with
``--keep DIR`` the home stays there and a later run reuses it), then every source's reliability
is estimated (timed) as ``credo source reliability`` does. Prints per source: the declared
reliability, the estimate, the category that sets it, and the truth: the false share of all its
records and of its serious negative records (a default, a collection or a repayment 30+ days
past due: the facts of the ``arrears`` family), and the true share the agreement implies beside
the true share of the records it could check.

With ``--effect`` (needs 24 months), a copy of the home is trained as of 2025-10-31 and scored
as of 2026-10-31 with the declared weights, then again after ``credo source reliability
--apply``; prints the score change of the people with a made-up record, of those with true
arrears at the same source only, and of everyone else.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from sqlalchemy import select

from credo.events.reliability import ReliabilityEstimate
from credo.features.agreement import arrears_checks
from credo.features.engines import DuckDBFeatureEngine
from credo.home import Home
from credo.settings import DuckDBEngine, Settings
from credo.storage.tables import runs, scores
from credo.synth import generate_population

SERIOUS = "(type in ('default', 'collection') or (type = 'repayment' and days_past_due >= 30))"


def credo(home: Path, *args: str) -> None:
    env = dict(os.environ, CREDO_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-m", "credo", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"credo {' '.join(args)} failed:\n{done.stderr}")


def prepare(root: Path, subjects: int, months: int, seed: int) -> tuple[Path, Path]:
    data, home = root / "data", root / "home"
    if not (home / "credo.db").exists():
        generate_population(data, subjects=subjects, months=months, seed=seed)
        credo(home, "init", "--dev-key")
        credo(home, "load", str(data), "--json")
    return data, home


def lake_sql(home: Home, data: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB with ``events`` (the lake) and ``made_up`` (the generator's false records)."""
    con = duckdb.connect()
    con.register("events", home.lake.dataset())
    con.sql(f"create view made_up as select * from read_parquet('{data / 'false_events.parquet'}')")
    return con


Truth = dict[str, tuple[int, float, int, float, float]]


def truth(home: Home, data: Path) -> Truth:
    """Per source: records, their false share, serious negatives, their false share, and the
    false share of the serious negatives another source's reports overlap (the checked ones)."""
    runner = DuckDBFeatureEngine(DuckDBEngine())
    checked = runner.execute(arrears_checks(runner.events(home.lake)))
    runner.close()
    con = lake_sql(home, data)
    con.register("checked", checked)
    among_checked = dict(
        con.sql(
            """select c.source, avg((f.event_id is not null)::int)
               from checked c left join made_up f using (source, event_id) group by all"""
        ).fetchall()
    )
    rows = con.sql(
        f"""
        select e.source, count(*), avg((f.event_id is not null)::int),
               count(*) filter (where {SERIOUS}),
               avg((f.event_id is not null)::int) filter (where {SERIOUS})
        from events e left join made_up f using (source, event_id) group by all
        """
    ).fetchall()
    return {
        r[0]: (int(r[1]), float(r[2]), int(r[3]), float(r[4] or 0.0), among_checked.get(r[0], 0.0))
        for r in rows
    }


def print_estimates(estimates: list[ReliabilityEstimate], real: Truth) -> None:
    header = (
        f"{'source':<12} {'declared':>8} {'estimate':>9} {'set by':<9} {'records':>8} "
        f"{'false':>6} {'serious':>8} {'false':>6}  arrears true share: estimated (of checked)"
    )
    print(header)
    print("-" * len(header))
    for e in estimates:
        records, false, serious, false_serious, checked = real.get(e.source, (0, 0.0, 0, 0.0, 0.0))
        arrears = next((f for f in e.families if f.family == "arrears"), None)
        implied = "-"
        if arrears is not None and arrears.true_share is not None:
            implied = f"{arrears.true_share:.3f} ({1 - checked:.3f})"
        print(
            f"{e.source:<12} {e.declared:>8.2f} {e.estimate:>9.3f} {e.set_by:<9} "
            f"{records:>8,} {false:>6.1%} {serious:>8,} {false_serious:>6.1%}  {implied}"
        )


def effect(path: Path, data: Path, scratch: Path) -> None:
    """Score a copy of the home before and after applying the estimates; print the changes."""
    work = scratch / "effect-home"
    shutil.copytree(path, work)
    start = time.perf_counter()
    credo(work, "train", "--as-of", "2025-10-31")
    credo(work, "run", "--as-of", "2026-10-31")
    credo(work, "source", "reliability", "--apply")
    credo(work, "run", "--as-of", "2026-10-31")
    home = Home(Settings(home=work))
    with home.engine.connect() as conn:
        first, second = conn.execute(select(runs.c.id).order_by(runs.c.id)).scalars().all()[-2:]
        rows = conn.execute(select(scores.c.subject, scores.c.run_id, scores.c.score)).all()
    before = {s: v for s, r, v in rows if r == first and v is not None}
    after = {s: v for s, r, v in rows if r == second and v is not None}
    con = lake_sql(home, data)
    made_up = {
        r[0]
        for r in con.sql(
            "select distinct subject from events join made_up using (source, event_id)"
        ).fetchall()
    }
    sources = [r[0] for r in con.sql("select distinct source from made_up").fetchall()]
    named = ", ".join(f"'{name}'" for name in sources)
    true_arrears = {
        r[0]
        for r in con.sql(
            f"""select distinct subject from events e
                where source in ({named}) and {SERIOUS} and not exists (
                    select 1 from made_up f
                    where f.source = e.source and f.event_id = e.event_id)"""
        ).fetchall()
    } - made_up
    home.dispose()
    groups = {
        f"a made-up record ({', '.join(sources)})": made_up,
        "true arrears there, none made up": true_arrears,
        "everyone else": set(before) - made_up - true_arrears,
    }
    print(
        f"\nscores as of 2026-10-31, before and after --apply ({time.perf_counter() - start:.0f} s)"
    )
    print(f"{'people with':<40} {'scored':>7} {'median':>7} {'mean':>6} {'p10':>5} {'p90':>5}")
    for name, people in groups.items():
        gains = sorted(after[s] - before[s] for s in people if s in before and s in after)
        if not gains:
            continue
        tenth, ninetieth = gains[len(gains) // 10], gains[len(gains) * 9 // 10]
        print(
            f"{name:<40} {len(gains):>7,} {statistics.median(gains):>+7.0f} "
            f"{statistics.fmean(gains):>+6.1f} {tenth:>+5} {ninetieth:>+5}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--effect", action="store_true", help="score before and after --apply")
    args = parser.parse_args()
    if args.effect and args.months < 24:
        raise SystemExit("--effect trains as of 2025-10-31 on 12 months of outcomes: --months 24")
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        data, path = prepare(root, args.subjects, args.months, args.seed)
        home = Home(Settings(home=path))
        start = time.perf_counter()
        estimates = home.source_reliability()
        seconds = time.perf_counter() - start
        real = truth(home, data)
        home.dispose()
        print(
            f"{args.subjects:,} people, {args.months} months, seed {args.seed}: "
            f"estimated in {seconds:.1f} s"
        )
        print_estimates(estimates, real)
        if args.effect:
            effect(path, data, Path(scratch))


if __name__ == "__main__":
    main()
