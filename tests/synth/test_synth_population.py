"""The dataset the generator writes: complete, valid, deterministic, streamed in chunks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pydantic import TypeAdapter

from credo.errors import InvalidInputError
from credo.events.schemas import ENVELOPE_FIELDS, TYPE_CATEGORY, EventIn
from credo.synth import generate_population
from credo.synth.sources import SOURCE_NAMES

_EVENTS: TypeAdapter[list[object]] = TypeAdapter(list[EventIn])


def _nested(row: dict[str, object]) -> dict[str, object]:
    """A flat event row in the JSON form: envelope fields plus a nested payload.

    Every other non-null column goes into the payload, so a column that does not belong to the
    type fails validation (payloads refuse unknown fields).
    """
    envelope = {k: v for k, v in row.items() if k in ENVELOPE_FIELDS and v is not None}
    payload = {
        k: v for k, v in row.items() if k not in ENVELOPE_FIELDS and k != "type" and v is not None
    }
    return {**envelope, "type": row["type"], "payload": payload}


def test_manifest_lists_every_file_and_the_parameters(small):
    manifest = small.manifest
    assert [s.name for s in manifest.sources] == list(SOURCE_NAMES)
    assert manifest.consents == "consents.csv"
    assert manifest.outcomes == "outcomes.parquet"
    assert manifest.extra["truth"] == "truth.parquet"
    assert manifest.extra["false_events"] == "false_events.parquet"
    assert manifest.extra["parameters"] == small.params
    for source in SOURCE_NAMES:
        assert all(p.exists() for p in manifest.event_paths(source))
    assert (small.root / "truth.parquet").exists()
    assert (small.root / "false_events.parquet").exists()


def test_same_arguments_write_the_same_bytes(small, tmp_path):
    generate_population(tmp_path, **small.params)
    written = sorted(p.relative_to(small.root) for p in small.root.rglob("*") if p.is_file())
    again = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == again
    for rel in written:
        assert (small.root / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_another_seed_writes_other_people(small, tmp_path):
    generate_population(tmp_path, **{**small.params, "seed": small.params["seed"] + 1})
    before = set(small.table("truth.parquet")["subject"].to_pylist())
    after = set(pq.read_table(tmp_path / "truth.parquet")["subject"].to_pylist())
    assert len(before & after) < len(before) // 10


def test_every_event_validates_against_the_event_model(small):
    rows = small.events().to_pylist()
    _EVENTS.validate_python([_nested(row) for row in rows])


def test_event_times_lie_inside_the_generated_months(small):
    times = small.events()["occurred_at"]
    assert times.type.tz == "UTC"
    assert pc.min(times).as_py() >= datetime(2026, 5, 1, tzinfo=UTC)
    assert pc.max(times).as_py() < datetime(2026, 11, 1, tzinfo=UTC)


def test_event_ids_are_unique_per_source(small):
    for source in SOURCE_NAMES:
        ids = small.events(source)["event_id"]
        assert len(pc.unique(ids)) == len(ids), source


def test_every_source_emits_only_its_declared_categories(small):
    for spec in small.manifest.sources:
        types = set(pc.unique(small.events(spec.name)["type"]).to_pylist())
        assert types, spec.name
        assert {TYPE_CATEGORY[t] for t in types} <= set(spec.categories), spec.name


def test_every_event_is_about_a_generated_person(small):
    people = small.table("truth.parquet")["subject"]
    events = small.events()
    assert pc.all(pc.is_in(events["subject"], people)).as_py()
    ties = events.filter(pc.equal(events["type"], "tie"))
    assert pc.all(pc.is_in(ties["counterpart"], people)).as_py()


def test_summary_counts_agree_with_the_files(small):
    summary = small.summary
    for source in SOURCE_NAMES:
        assert summary.events[source] == small.events(source).num_rows, source
    assert small.table("truth.parquet").num_rows == summary.subjects == 300
    assert small.table("outcomes.parquet").num_rows == 300 * 6
    assert small.table("false_events.parquet").num_rows == summary.false_events
    truth = small.table("truth.parquet")
    assert pc.sum(truth["is_sybil"]).as_py() == summary.sybils
    assert pc.sum(pc.is_valid(truth["first_default_month"])).as_py() == summary.defaults


def test_events_per_person_month_are_in_the_target_range(medium):
    per_person_month = medium.summary.total_events / (3000 * 24)
    assert 5.0 <= per_person_month <= 12.0


def test_progress_is_reported_after_each_chunk(tmp_path):
    calls: list[tuple[int, int]] = []
    generate_population(
        tmp_path,
        subjects=250,
        months=3,
        chunk_size=100,
        on_progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(100, 250), (200, 250), (250, 250)]


def test_chunking_keeps_counts_consistent(tmp_path):
    one = generate_population(tmp_path / "one", subjects=400, months=6, chunk_size=400)
    four = generate_population(tmp_path / "four", subjects=400, months=6, chunk_size=100)
    assert one.subjects == four.subjects
    assert one.sybils == four.sybils
    for source in SOURCE_NAMES:
        assert 0.6 < four.events[source] / max(one.events[source], 1) < 1.6, source
    ids = pq.read_table(tmp_path / "four" / "truth.parquet")["subject"].to_pylist()
    assert ids == pq.read_table(tmp_path / "one" / "truth.parquet")["subject"].to_pylist()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"subjects": 0}, "subjects"),
        ({"months": 0}, "months"),
        ({"end_month": "2026-13"}, "end_month"),
        ({"end_month": "October"}, "end_month"),
        ({"seed": -1}, "seed"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_invalid_arguments_are_refused(tmp_path, arguments, message):
    with pytest.raises(InvalidInputError, match=message):
        generate_population(tmp_path, **{"subjects": 10, "months": 2, **arguments})


def test_consents_cover_every_person_with_rare_exceptions(medium):
    rows = (medium.root / "consents.csv").read_text(encoding="utf-8").splitlines()[1:]
    fields = [row.split(",") for row in rows]
    people = {f[0] for f in fields}
    assert len(people) == 3000
    actions = Counter(f[3] for f in fields)
    assert 0 < actions["withdraw"] < 0.03 * 3000
    per_source = sum(1 for f in fields if f[2])
    assert 0 < per_source < 0.03 * 3000
    network = {f[0] for f in fields if f[1] == "network"}
    assert 0.95 * 3000 < len(network) < 3000
    assert all(f[4].endswith("Z") for f in fields)


def test_events_without_consent_are_rare_but_present(medium):
    share = medium.summary.events_without_consent / medium.summary.total_events
    assert 0 < share < 0.01


def test_identifiers_appear_only_in_profiles(small):
    events = small.events()
    for column in ("name", "national_id", "phone", "address", "email"):
        carriers = events.filter(pc.is_valid(events[column]))
        assert set(pc.unique(carriers["type"]).to_pylist()) <= {"profile_update"}, column
    profiles = events.filter(pc.equal(events["type"], "profile_update"))
    ids = profiles.filter(pc.is_valid(profiles["national_id"]))
    assert pc.all(pc.equal(ids["national_id"], ids["subject"])).as_py()
    assert pc.all(pc.starts_with(profiles["phone"].drop_null(), "+86 1")).as_py()
