"""Ingestion: every reject reason on purpose-built bad files, exact counts, idempotence, consent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credo.consent.collection import ConsentChange
from credo.errors import NotFoundError, UnreadableInputError
from credo.events.dataset import FLAT_EVENT_SCHEMA
from credo.home import Home

from factories import OTHER, PERSON, event, write_jsonl


def ingest(home: Home, path: Path, source: str | None = "bank", **kw: Any) -> Any:
    return home.ingestor().ingest([str(path)], source=source, **kw)


def rejects_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def single_reject(home: Home, tmp_path: Path, records: list[Any]) -> dict[str, Any]:
    rejects = tmp_path / "rejects.jsonl"
    report = ingest(home, write_jsonl(tmp_path / "in.jsonl", records), rejects_path=rejects)
    assert report.rejected == 1, report.to_json()
    (only,) = rejects_of(rejects)
    return only


def test_clean_file_is_accepted_exactly(ready: Home, tmp_path: Path) -> None:
    records = [event(f"e{i}") for i in range(25)] + [event("p1", "profile_update")]
    report = ingest(ready, write_jsonl(tmp_path / "in.jsonl", records))
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (26, 26, 0, 0)
    assert ready.lake.summary().events == 26


def test_reingest_is_a_no_op(ready: Home, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [event(f"e{i}") for i in range(10)])
    first = ingest(ready, path)
    version = ready.lake.version()
    again = ingest(ready, path)
    assert (again.accepted, again.duplicates) == (0, 10)
    assert ready.lake.version() == version == first.lake_version
    assert ready.lake.summary().events == 10


def test_same_event_id_from_two_sources_is_two_events(ready: Home, tmp_path: Path) -> None:
    ready.sources.add("shop", ["history"])
    path = write_jsonl(tmp_path / "in.jsonl", [event("e1")])
    ingest(ready, path, source="bank")
    assert ingest(ready, path, source="shop").accepted == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"event_id": "e2", "subject": "1101011990', "malformed"),
        (b"[1, 2, 3]", "malformed"),
        (b'{"event_id": "e2", "payload": 5}', "malformed"),
        ('{"event_id": "é"}'.encode("latin-1"), "bad_encoding"),
    ],
    ids=["truncated", "not-an-object", "payload-not-object", "invalid-utf8"],
)
def test_unparsable_lines(ready: Home, tmp_path: Path, line: bytes, reason: str) -> None:
    reject = single_reject(ready, tmp_path, [event("e1"), line, event("e3")])
    assert (reject["row"], reject["reason"]) == (2, reason)


@pytest.mark.parametrize(
    ("override", "field", "reason"),
    [
        ({"amount_minor": "90000"}, "amount_minor", "bad_type"),
        ({"amount_minor": 12.5}, "amount_minor", "bad_type"),
        ({"amount_minor": True}, "amount_minor", "bad_type"),
        ({"occurred_at": 1700000000}, "occurred_at", "bad_type"),
        ({"occurred_at": "2026-13-45T00:00:00Z"}, "occurred_at", "bad_type"),
        ({"occurred_at": "2026-10-05T08:00:00"}, "occurred_at", "bad_type"),
        ({"occurred_at": "2027-06-01T00:00:00Z"}, "occurred_at", "future_timestamp"),
        ({"occurred_at": "1899-12-31T23:00:00Z"}, "occurred_at", "too_old"),
        ({"amount_minor": -5}, "amount_minor", "bad_value"),
        ({"currency": "yuan"}, "currency", "bad_value"),
        ({"days_past_due": 99999}, "days_past_due", "bad_value"),
        ({"account_ref": "x" * 65}, "account_ref", "too_large"),
        ({"event_id": "e" * 129}, "event_id", "too_large"),
        ({"type": "teleport"}, "type", "unknown_type"),
        ({"colour": "red"}, "colour", "unknown_field"),
        ({"subject": "!!"}, "subject", "bad_value"),
        ({"schema_version": 2}, "schema_version", "bad_value"),
    ],
)
def test_field_rules(
    ready: Home, tmp_path: Path, override: dict[str, Any], field: str, reason: str
) -> None:
    fields = dict(override)
    bad = event(fields.pop("event_id", "bad"), **fields)
    reject = single_reject(ready, tmp_path, [event("ok"), bad])
    assert (reject["row"], reject["field"], reject["reason"]) == (2, field, reason)
    assert reject["event_id"] == bad["event_id"][:128]


@pytest.mark.parametrize("missing", ["event_id", "subject", "occurred_at", "type"])
def test_missing_envelope_field(ready: Home, tmp_path: Path, missing: str) -> None:
    record = event("bad")
    del record[missing]
    reject = single_reject(ready, tmp_path, [record])
    assert (reject["field"], reject["reason"]) == (missing, "missing_field")


def test_missing_payload_field(ready: Home, tmp_path: Path) -> None:
    record = event("bad")
    del record["payload"]["currency"]
    reject = single_reject(ready, tmp_path, [record])
    assert (reject["field"], reject["reason"]) == ("currency", "missing_field")


def test_huge_line_is_too_large_and_skipped_in_bounded_reads(ready: Home, tmp_path: Path) -> None:
    huge = event("huge", account_ref="x" * 200_000)
    reject = single_reject(ready, tmp_path, [event("a"), huge, event("b")])
    assert (reject["row"], reject["field"], reject["reason"]) == (2, None, "too_large")


def test_duplicate_ids_inside_one_file(ready: Home, tmp_path: Path) -> None:
    reject = single_reject(ready, tmp_path, [event("e1"), event("e2"), event("e1", amount_minor=1)])
    assert (reject["row"], reject["reason"]) == (3, "duplicate_id")


def test_no_consent_is_rejected_and_withdrawal_stops_ingest(ready: Home, tmp_path: Path) -> None:
    stranger = event("s1", subject="220101199001011234")
    reject = single_reject(ready, tmp_path, [event("e1"), stranger])
    assert (reject["event_id"], reject["reason"]) == ("s1", "no_consent")
    ready.consents.record(
        [
            ConsentChange(
                identifier=PERSON, category="history", action="withdraw", at=ready.clock.now()
            )
        ]
    )
    report = ingest(ready, write_jsonl(tmp_path / "later.jsonl", [event("e9")]))
    assert (report.accepted, dict(report.by_reason)) == (0, {"no_consent": 1})


def test_source_specific_withdrawal_overrides_general_grant(ready: Home, tmp_path: Path) -> None:
    ready.consents.record(
        [
            ConsentChange(
                identifier=PERSON,
                category="history",
                action="withdraw",
                at=ready.clock.now(),
                source="bank",
            )
        ]
    )
    ready.sources.add("shop", ["history"])
    path = write_jsonl(tmp_path / "in.jsonl", [event("e1")])
    assert ingest(ready, path, source="bank").by_reason == {"no_consent": 1}
    assert ingest(ready, path, source="shop").accepted == 1


def test_source_rules(ready: Home, tmp_path: Path) -> None:
    ready.sources.add("shop", ["behavior"])
    records = [
        event("e1", source="bank"),
        event("e2", source="other"),
        event("e3"),  # a repayment (history) from a behaviour-only source
        event("e4", "purchase"),
    ]
    rejects = tmp_path / "rejects.jsonl"
    report = ingest(
        ready, write_jsonl(tmp_path / "in.jsonl", records), source="shop", rejects_path=rejects
    )
    reasons = {r["event_id"]: r["reason"] for r in rejects_of(rejects)}
    assert reasons == {
        "e1": "source_mismatch",
        "e2": "source_mismatch",
        "e3": "category_not_allowed",
    }
    assert report.accepted == 1


def test_records_may_name_their_source_when_the_ingest_does_not(
    ready: Home, tmp_path: Path
) -> None:
    records = [event("e1", source="bank"), event("e2", source="nobody"), event("e3")]
    rejects = tmp_path / "rejects.jsonl"
    report = ingest(
        ready, write_jsonl(tmp_path / "in.jsonl", records), source=None, rejects_path=rejects
    )
    reasons = {r["event_id"]: (r["field"], r["reason"]) for r in rejects_of(rejects)}
    assert reasons == {"e2": ("source", "unknown_source"), "e3": ("source", "missing_field")}
    assert report.accepted == 1


def test_unknown_source_option_is_an_error(ready: Home, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="source 'nobody' is not registered"):
        ingest(ready, write_jsonl(tmp_path / "in.jsonl", [event()]), source="nobody")


def test_unreadable_file_is_an_error_and_writes_nothing(ready: Home, tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError, match="no such file"):
        ingest(ready, tmp_path / "absent.jsonl")
    bogus = tmp_path / "bogus.parquet"
    bogus.write_bytes(b"not parquet at all")
    with pytest.raises(UnreadableInputError, match="cannot read as Parquet"):
        ingest(ready, bogus)
    with pytest.raises(UnreadableInputError, match="unknown file type"):
        ingest(ready, tmp_path / "events.xml")
    assert ready.lake.version() == 0


def test_a_bad_second_file_leaves_the_lake_unchanged(ready: Home, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [event("e1")])
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 broken")
    with pytest.raises(UnreadableInputError):
        ready.ingestor().ingest([str(good), str(bad)], source="bank")
    assert ready.lake.version() == 0


# --- CSV and Parquet --------------------------------------------------------------------------


def flat(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k != "payload"}
    out.update(record["payload"])
    return out


def to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows → table with every key of every row (from_pylist looks at the first row only)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return pa.table({k: [row.get(k) for row in rows] for k in keys})


def test_csv_with_wrong_rows_columns_and_encoding(ready: Home, tmp_path: Path) -> None:
    header = "event_id,subject,type,occurred_at,account_ref,amount_minor,currency,colour\n"
    lines = [
        "e1,110101199003074211,repayment,2026-10-05T08:00:00Z,A1,100,CNY,\n",
        "e2,110101199003074211,repayment,2026-10-05T08:00:00Z,A1,100\n",  # too few fields
        "e3,110101199003074211,repayment,2026-10-05T08:00:00Z,A1,abc,CNY,\n",
        "e4,110101199003074211,repayment,2026-10-05T08:00:00Z,A1,100,CNY,red\n",
    ]
    path = tmp_path / "in.csv"
    path.write_bytes(
        (header + "".join(lines)).encode()
        + b"e5,110101199003074211,repayment,2026-10-05T08:00:00Z,A\xff1,100,CNY,\n"
        + b"e6,110101199003074211,repayment,2026-10-05T08:00:00Z,A1,100,CNY,\n"
    )
    rejects = tmp_path / "rejects.jsonl"
    report = ingest(ready, path, rejects_path=rejects)
    got = sorted((r["row"], r["field"], r["reason"]) for r in rejects_of(rejects))
    assert got == [
        (3, None, "malformed"),
        (4, "amount_minor", "bad_type"),
        (5, "colour", "unknown_field"),
        (6, "account_ref", "bad_encoding"),
    ]
    assert (report.read, report.accepted) == (6, 2)


def test_csv_missing_a_required_column_rejects_every_row(ready: Home, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "event_id,subject,type,account_ref,amount_minor,currency\n"
        "e1,110101199003074211,repayment,A1,100,CNY\n"
    )
    reject = single_reject_path(ready, path)
    assert (reject["field"], reject["reason"]) == ("occurred_at", "missing_field")


def single_reject_path(home: Home, path: Path) -> dict[str, Any]:
    rejects = path.with_suffix(".rejects")
    report = ingest(home, path, rejects_path=rejects)
    assert report.rejected == 1
    return rejects_of(rejects)[0]


def test_parquet_typed_columns(ready: Home, tmp_path: Path) -> None:
    rows = [flat(event(f"e{i}")) for i in range(5)] + [flat(event("t1", "tie"))]
    for row in rows:
        row["occurred_at"] = "2026-10-05T08:00:00+00:00"
    table = to_table(rows)
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    report = ingest(ready, path)
    assert (report.accepted, report.rejected) == (6, 0)


def test_three_formats_give_the_same_lake_rows(tmp_path: Path) -> None:
    from factories import make_home

    records = [event(f"e{i}", amount_minor=100 + i) for i in range(4)] + [
        event("p1", "profile_update"),
        event("t1", "tie"),
        event("b1", "purchase"),
    ]
    from credo.events.schemas import CATEGORIES

    results = []
    for fmt in ("jsonl", "csv", "parquet"):
        home = make_home(tmp_path / fmt)
        home.sources.add("bank", CATEGORIES)
        home.consents.record(
            ConsentChange(identifier=PERSON, category=c, action="grant", at=home.clock.now())
            for c in CATEGORIES
        )
        path = tmp_path / f"in.{fmt}"
        if fmt == "jsonl":
            write_jsonl(path, records)
        else:
            table = to_table([flat(r) for r in records])
            table = table.set_column(
                table.schema.get_field_index("occurred_at"),
                "occurred_at",
                pa.array(["2026-10-05T08:00:00Z"] * len(records)),
            )
            if fmt == "csv":
                import pyarrow.csv as pcsv

                pcsv.write_csv(table, path)
            else:
                pq.write_table(table, path)
        report = ingest(home, path)
        assert report.accepted == len(records), (fmt, report.to_json())
        lake = home.lake.dataset().to_table().sort_by("event_id")
        assert set(lake.column("subject").to_pylist()) == {home.tokeniser.subject(PERSON)}
        # each home has its own secret: compare everything but the keyed hashes
        keyed = [
            n
            for n in lake.column_names
            if n in ("subject", "counterpart", "ingested_at") or n.endswith(("_ref", "_fp"))
        ]
        results.append(lake.drop_columns(keyed).to_pylist())
        home.dispose()
    assert results[0] == results[1] == results[2]


def test_flat_schema_names_every_field_once() -> None:
    assert len(set(FLAT_EVENT_SCHEMA.names)) == len(FLAT_EVENT_SCHEMA.names)


def test_ties_join_on_tokens(ready: Home, tmp_path: Path) -> None:
    ingest(
        ready, write_jsonl(tmp_path / "in.jsonl", [event("t1", "tie"), event("x1", subject=OTHER)])
    )
    rows = ready.lake.dataset().to_table().to_pylist()
    tie = next(r for r in rows if r["type"] == "tie")
    other = next(r for r in rows if r["event_id"] == "x1")
    assert tie["counterpart"] == other["subject"] == ready.tokeniser.subject(OTHER)
