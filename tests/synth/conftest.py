"""Shared synthetic datasets: generated once per test session (small enough to stay fast)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credo.events.dataset import Manifest, read_manifest
from credo.synth import SynthSummary, generate_population


@dataclass(frozen=True)
class Dataset:
    """A generated dataset and what the generator said about it."""

    root: Path
    summary: SynthSummary
    params: dict[str, Any]

    @property
    def manifest(self) -> Manifest:
        return read_manifest(self.root)

    def events(self, source: str | None = None) -> pa.Table:
        """All events (of one source, or of every source)."""
        manifest = self.manifest
        names = [source] if source else list(manifest.events)
        tables = [pq.read_table(p) for name in names for p in manifest.event_paths(name)]
        return pa.concat_tables(tables)

    def table(self, name: str) -> pa.Table:
        return pq.read_table(self.root / name)


SMALL: dict[str, Any] = {
    "subjects": 300,
    "months": 6,
    "seed": 11,
    "chunk_size": 100,
    "end_month": "2026-10",
}
MEDIUM: dict[str, Any] = {"subjects": 3000, "months": 24, "seed": 3, "end_month": "2026-10"}


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """300 people x 6 months in three chunks: structure, validity, determinism."""
    root = tmp_path_factory.mktemp("synth-small")
    return Dataset(root, generate_population(root, **SMALL), SMALL)


@pytest.fixture(scope="session")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """3,000 people x 24 months: enough defaults, ties and rings for statistics."""
    root = tmp_path_factory.mktemp("synth-medium")
    return Dataset(root, generate_population(root, **MEDIUM), MEDIUM)
