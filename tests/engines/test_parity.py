"""Engine parity: DuckDB and Spark compute identical characteristics on the same lake."""

from __future__ import annotations

import gc
import math
import os
import shutil
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from credo.cli.app import app
from credo.features.build import characteristics_expr
from credo.features.engines import DuckDBFeatureEngine, SparkFeatureEngine
from credo.home import Home
from credo.settings import DuckDBEngine, Settings, SparkEngine
from credo.synth import generate_population

from factories import services_required

# py4j leaves sockets to the garbage collector when PySpark collects results (a PySpark
# behaviour, not ours): ignore exactly that warning in these tests, and flush it on teardown
pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]
runner = CliRunner()
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


@pytest.fixture(scope="module")
def spark_engine() -> Iterator[SparkFeatureEngine]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if services_required():
            pytest.fail("pyspark required but not installed")
        pytest.skip("pyspark is not installed (pip install -e '.[spark]')")
    if not (os.environ.get("JAVA_HOME") or Path(JAVA_HOME).is_dir() or shutil.which("java")):
        if services_required():
            pytest.fail("Java 17 required for the Spark tests")
        pytest.skip("no Java for Spark")
    os.environ.setdefault("JAVA_HOME", JAVA_HOME)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    engine = SparkFeatureEngine(SparkEngine(master="local[2]", shuffle_partitions=4))
    yield engine
    engine._spark.stop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="module")
def lake_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    root = tmp_path_factory.mktemp("parity")
    generate_population(root / "data", subjects=400, months=12, seed=5)
    os.environ["CREDO_HOME"] = str(root / "home")
    try:
        assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
        loaded = runner.invoke(app, ["load", str(root / "data"), "--json"])
        assert loaded.exit_code == 0, loaded.output
    finally:
        del os.environ["CREDO_HOME"]
    return Home(Settings(home=root / "home"))


def test_duckdb_and_spark_agree(lake_home: Home, spark_engine: SparkFeatureEngine) -> None:
    reliability = {s.name: s.reliability for s in lake_home.sources.all()}
    as_of = datetime(2026, 8, 31, tzinfo=UTC)
    known = datetime(2100, 1, 1, tzinfo=UTC)
    duck = DuckDBFeatureEngine(DuckDBEngine())
    subjects = sorted(
        set(lake_home.lake.dataset().to_table(columns=["subject"])["subject"].to_pylist())
    )
    # disputed events (one credit-history event in five) are left out on both engines
    history = lake_home.lake.dataset().to_table(
        columns=["source", "event_id"], filter=pc.field("category") == "history"
    )
    excluded = list(zip(*history.to_pydict().values(), strict=True))[::5]
    # a previous snapshot that scores two people in three, so ties' scores are exercised too
    snapshot = pa.table(
        {
            "subject": subjects[::3] + subjects[1::3],
            "score": [350.0 + (i * 37) % 600 for i in range(len(subjects[::3] + subjects[1::3]))],
        }
    )
    results = []
    for engine in (duck, spark_engine):
        expr = characteristics_expr(
            engine.events(lake_home.lake),
            as_of,
            reliability=reliability,
            known_at=known,
            tie_scores=engine.table("tie_scores", snapshot),
            excluded=excluded,
        )
        results.append(engine.execute(expr).to_pylist())
    duck.close()
    left, right = results
    assert len(left) == len(right) > 300
    for a, b in zip(left, right, strict=True):
        assert a["subject"] == b["subject"]
        for name, x in a.items():
            y = b[name]
            if x is None or y is None or isinstance(x, str):
                assert x == y, (a["subject"], name, x, y)
            else:
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (name, x, y)
    assert any(row["hist_worst_dpd_12m"] for row in left)
    assert sum(row["net_ties_mean_score"] is not None for row in left) > 100


def test_the_compiled_scorecard_scores_on_spark_as_in_python(
    spark_engine: SparkFeatureEngine,
) -> None:
    import numpy as np
    import pandas as pd

    from credo.model.artifact import to_artifact
    from credo.model.scorecard import Scorecard
    from credo.scoring.compile import compile_scorecard

    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(10)})
    frame["kind"] = rng.choice(["a", "b", "c"], n)
    frame.loc[rng.random(n) < 0.05, "x0"] = np.nan
    logit = -1.0 + frame.drop(columns="kind").fillna(0).to_numpy() @ np.linspace(0.2, 0.7, 10)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = Scorecard(min_iv=0.0, max_correlation=1.0).fit(frame, y)
    data = frame.assign(subject=[f"s{i:05d}" for i in range(n)])
    data.loc[0, "kind"] = "unseen"
    table = spark_engine.table("applicants", pa.Table.from_pandas(data, preserve_index=False))
    scored = spark_engine.execute(compile_scorecard(to_artifact(model), table))
    got = scored.to_pandas().sort_values("subject")["score"].to_numpy()
    assert got.tolist() == model.score(data.drop(columns="subject")).tolist()
