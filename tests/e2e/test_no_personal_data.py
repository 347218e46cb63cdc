"""No personal data in plaintext anywhere under lake/ or in credo.db, after a full load."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from credo.cli.app import app
from credo.events.dataset import read_manifest
from credo.synth import generate_population

runner = CliRunner()
PERSONAL = ["subject", "name", "national_id", "phone", "address", "email", "counterpart"]


def personal_values(dataset: Path) -> set[str]:
    manifest = read_manifest(dataset)
    found: set[str] = set()
    for spec in manifest.sources:
        for path in manifest.event_paths(spec.name):
            table = pq.read_table(path)
            for column in PERSONAL:
                if column in table.column_names:
                    found.update(v for v in pc.unique(table.column(column)).to_pylist() if v)
    return found


def plaintext_hits(files: list[Path], needles: set[str]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    encoded = [(n, n.encode()) for n in needles if len(n) >= 6]
    for file in files:
        data = file.read_bytes()
        if file.suffix == ".parquet":  # compressed pages would hide a leak from a byte scan
            data += str(pq.read_table(file).to_pylist()).encode()
        found = [n for n, raw in encoded if raw in data]
        if found:
            hits[str(file)] = found[:5]
    return hits


@pytest.mark.slow
def test_lake_and_database_hold_no_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = tmp_path / "data"
    generate_population(dataset, subjects=300, months=6, seed=11)
    needles = personal_values(dataset)
    assert len(needles) > 900  # ids, phones, names, addresses, e-mails of 300 people

    home = tmp_path / "home"
    monkeypatch.setenv("CREDO_HOME", str(home))
    assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
    loaded = runner.invoke(app, ["load", str(dataset), "--json"])
    assert loaded.exit_code == 0, loaded.output
    lake_files = [p for p in (home / "lake").rglob("*") if p.is_file()]
    events = ds.dataset(home / "lake" / "events", format="parquet").count_rows()
    assert events > 5_000

    # positive control: the same scan finds the values in the source files
    sources = [p for p in dataset.rglob("*.parquet") if "events" in p.parts]
    assert plaintext_hits(sources, needles)

    db_files = [p for p in home.glob("credo.db*") if p.is_file()]
    assert db_files
    assert plaintext_hits(lake_files + db_files, needles) == {}
