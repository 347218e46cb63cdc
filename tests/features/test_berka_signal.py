"""Characteristics on real behaviour: Berka's pre-loan history predicts its loan outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import ibis
import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from credo.cli.app import app
from credo.events.berka import import_berka
from credo.features.build import characteristics_expr
from credo.home import Home
from credo.settings import Settings

from factories import SHARED_DATA

DATA = SHARED_DATA / "berka_pkdd99_financial"
pytestmark = [
    pytest.mark.data,
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"Berka data set not found at {DATA}"),
]
runner = CliRunner()


def test_pre_loan_characteristics_rank_berka_loans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_berka(DATA, tmp_path / "berka")
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "home"))
    assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
    loaded = runner.invoke(app, ["load", str(tmp_path / "berka"), "--json"])
    assert loaded.exit_code == 0, loaded.output
    home = Home(Settings(home=tmp_path / "home"))
    reliability = {s.name: s.reliability for s in home.sources.all()}
    loans = pq.read_table(tmp_path / "berka" / "outcomes.parquet").to_pylist()
    con = ibis.duckdb.connect()
    con.con.register("events", home.lake.dataset())
    events = con.table("events")
    balance: list[float] = []
    bad: list[int] = []
    by_month: dict[object, list[dict[str, object]]] = {}
    for loan in loans:  # as of the start of each loan's month: only history before it counts
        by_month.setdefault(loan["loan_date"].replace(day=1), []).append(loan)
    known = datetime(2100, 1, 1, tzinfo=UTC)
    for day, group in sorted(by_month.items()):
        as_of = datetime.combine(day, time(), tzinfo=UTC)  # type: ignore[arg-type]
        table = characteristics_expr(events, as_of, reliability=reliability, known_at=known)
        rows = {r["subject"]: r for r in table.to_pyarrow().to_pylist()}
        for loan in group:
            row = rows.get(home.tokeniser.subject(str(loan["subject"])))
            if row is not None and row["cap_avg_deposit_balance_6m"] is not None:
                balance.append(float(row["cap_avg_deposit_balance_6m"]))
                bad.append(int(loan["bad"]))
    con.disconnect()
    assert len(bad) > 550
    auc = roc_auc_score(np.array(bad), -np.array(balance))
    # the data set's README reports single-feature AUCs of 0.63-0.68 for balance features
    assert auc > 0.6, auc
