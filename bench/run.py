"""The monthly run at scale: wall time and peak memory for growing populations, one process.

    python bench/run.py [--sizes 100000,1000000] [--spark-size 100000] [--months 12]
                        [--keep DIR] [--memory-limit 2GB]

For each size: a synthetic population is generated and loaded into a fresh credo home (setup,
not timed; with ``--keep DIR`` the homes stay there and a later run reuses them, since loading
a million people takes the better part of an hour), the model trained once on the smallest
home is registered in every home, and then
``credo run`` is timed in a subprocess of its own so its peak RSS is its own. Prints, per size
and engine, the wall time, people scored per second and peak RSS, and the growth ratios of
time and memory between consecutive sizes (1.0 = constant, the size ratio = linear).
Target (issue 5): 1,000,000 people scored end to end in under 10 minutes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from credo.home import Home
from credo.settings import Settings

TRAIN_AS_OF = "2026-04-30"
RUN_AS_OF = "2026-10-31"


def credo(
    home: Path, *args: str, engine: str | None = None, memory_limit: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CREDO_HOME=str(home))
    if engine:
        env["CREDO_ENGINE__KIND"] = engine
    if engine == "duckdb" and memory_limit:
        env["CREDO_ENGINE__MEMORY_LIMIT"] = memory_limit
    command = [sys.executable, "-m", "credo", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True)


def build(root: Path, subjects: int, months: int) -> Path:
    data, home = root / f"data-{subjects}", root / f"home-{subjects}"
    if (home / "built").exists():
        print(f"  reusing the home of {subjects:,} people in {home}", flush=True)
        return home
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    start = time.perf_counter()
    credo(home, "synth", "--subjects", str(subjects), "--months", str(months), "--out", str(data))
    credo(home, "init", "--dev-key")
    credo(home, "load", str(data), "--json")
    shutil.rmtree(data)
    (home / "built").touch()
    print(f"  setup of {subjects:,} people: {time.perf_counter() - start:.0f} s", flush=True)
    return home


def adopt_model(source: Path, target: Path) -> None:
    """Register the model trained in ``source`` as the active model of ``target``."""
    model = Home(Settings(home=source)).models.active()
    assert model is not None
    models = Home(Settings(home=target)).models
    active = models.active()
    if active is not None and active.sha256 == model.sha256:
        return
    models.register(
        artifact=model.artifact,
        sha256=model.sha256,
        kind=model.kind,
        created_at=model.created_at,
        origin=model.origin,
        trained_as_of=model.trained_as_of,
        auc=model.auc,
    )


def timed_run(home: Path, engine: str, memory_limit: str | None) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = credo(
        home, "run", "--as-of", RUN_AS_OF, "--json", engine=engine, memory_limit=memory_limit
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = json.loads(result.stdout)
    return {
        "seconds": seconds,
        "people": summary["people"],
        "scored": summary["scored"],
        # the children's high-water mark: exact when this run is the largest child so far
        "peak_mb": max(peak, before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--spark-size", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the homes here (and reuse those built)"
    )
    parser.add_argument(
        "--memory-limit", default="2GB", help="DuckDB's memory limit (it spills beyond it)"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    root = args.keep or Path(tempfile.mkdtemp(prefix="credo-bench-run-"))
    homes = {}
    for size in sizes:
        homes[size] = build(root, size, args.months)
    smallest = homes[sizes[0]]
    if Home(Settings(home=smallest)).models.active() is None:
        credo(smallest, "train", "--as-of", TRAIN_AS_OF, "--outcome-months", "6")
    for size in sizes[1:]:
        adopt_model(smallest, homes[size])
    rows = []
    for size in sizes:
        rows.append(("duckdb", size, timed_run(homes[size], "duckdb", args.memory_limit)))
        print(f"  duckdb {size:,}: {rows[-1][2]['seconds']:.1f} s", flush=True)
    if args.spark_size in homes:
        rows.append(("spark", args.spark_size, timed_run(homes[args.spark_size], "spark", None)))
    print(
        f"\nmonthly run as of {RUN_AS_OF} ({args.months} months of history; "
        f"DuckDB memory limit {args.memory_limit})"
    )
    header = ("engine", "people", "scored", "wall s", "people/s", "peak MB")
    print("  {:8} {:>10} {:>10} {:>8} {:>10} {:>9}".format(*header))
    for engine, _size, r in rows:
        print(
            f"  {engine:8} {r['people']:>10,.0f} {r['scored']:>10,.0f} {r['seconds']:8.1f} "
            f"{r['people'] / r['seconds']:10,.0f} {r['peak_mb']:9,.0f}"
        )
    duck = [(size, r) for engine, size, r in rows if engine == "duckdb"]
    for (small, a), (large, b) in itertools.pairwise(duck):
        print(
            f"  growth {small:,} -> {large:,} (x{large / small:.0f} people): time "
            f"x{b['seconds'] / a['seconds']:.1f}, peak memory x{b['peak_mb'] / a['peak_mb']:.1f}"
        )
    if args.keep is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
