"""Characteristics from a real home: the catalogue and the expressions agree, the CLI works."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from credo.cli.app import app
from credo.errors import InvalidInputError
from credo.features.catalog import CATALOG
from credo.features.service import build_characteristics, parse_as_of
from credo.home import Home

from factories import event, write_jsonl

runner = CliRunner()


def test_parse_as_of() -> None:
    assert parse_as_of("2026-10-31") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_as_of("2026-10-31T12:00:00+08:00") == datetime(2026, 10, 31, 4, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match="UTC offset"):
        parse_as_of("2026-10-31T12:00:00")
    with pytest.raises(InvalidInputError, match="not a date"):
        parse_as_of("last tuesday")


def test_every_catalogued_characteristic_is_computed(ready: Home, tmp_path: Path) -> None:
    records = [event("e1", days_past_due=40), event("l1", "loan_opened")]
    ready.ingestor().ingest([str(write_jsonl(tmp_path / "in.jsonl", records))], source="bank")
    table = build_characteristics(
        ready.lake,
        ready.sources,
        datetime(2026, 10, 31, tzinfo=UTC),
        engine=ready.settings.engine,
        known_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert table.column_names == ["subject", *[c.name for c in CATALOG]]
    (row,) = table.to_pylist()
    assert row["hist_worst_dpd_12m"] == pytest.approx(40 * 0.95)
    assert row["hist_new_loans_6m"] == pytest.approx(0.95)


def test_catalogue_is_complete_and_explained() -> None:
    for c in CATALOG:
        assert c.description
        assert c.description[0].isupper()
        assert c.dimension in ("history", "capacity", "identity", "behavior", "network")


def test_cli_builds_and_lists(ready: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_HOME", str(ready.settings.home))
    ready.ingestor().ingest([str(write_jsonl(tmp_path / "in.jsonl", [event("e1")]))], source="bank")
    listed = json.loads(runner.invoke(app, ["features", "list", "--json"]).stdout)
    assert [c["name"] for c in listed] == [c.name for c in CATALOG]
    out = tmp_path / "f.parquet"
    result = runner.invoke(
        app, ["features", "--as-of", "2026-10-31", "--known-now", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 1
