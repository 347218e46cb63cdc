"""Erasure: a person leaves the store, the lake (old Delta files and logs included) and the audit
chain, which stays verifiable with a PII-free tombstone; ties naming them go too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from credo.api import create_app
from credo.cli.app import app
from credo.consent.audit import ERASED
from credo.consent.collection import ConsentChange
from credo.errors import AuthenticationError, NotFoundError
from credo.events.schemas import CATEGORIES
from credo.home import Home
from credo.storage.tables import audit_log, erasures, metadata

from factories import NOW, OTHER, PERSON, event, make_home, score_detail

runner = CliRunner()
THIRD = "+86 137 0000 1111"
PASSWORD = "correct horse battery"
PHRASE = "erase everything credo holds about me"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Home]:
    """The world of :func:`populate`, on SQLite, then on a fresh PostgreSQL database."""
    url = None if request.param == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    home = make_home(tmp_path) if url is None else make_home(tmp_path, database_url=url)
    populate(home)
    yield home
    home.dispose()


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[Home]:
    """The world of :func:`populate` on the default store (for the CLI)."""
    home = make_home(tmp_path)
    populate(home)
    yield home
    home.dispose()


def populate(home: Home) -> None:
    """PERSON with events, personal data, a score, a grant, a disclosure, a dispute and a
    login; OTHER with a tie to PERSON and a transfer to PERSON; THIRD with a tie to OTHER."""
    home.sources.add("bank", CATEGORIES, reliability=0.95)
    home.consents.record(
        ConsentChange(identifier=who, category=c, action="grant", at=NOW)
        for c in CATEGORIES
        for who in (PERSON, OTHER, THIRD)
    )
    report = home.ingestor().ingest_records(
        [
            event("person-repay-1"),
            event("person-profile-1", "profile_update"),
            event("person-tie-1", "tie"),
            event("other-tie-1", "tie", subject=OTHER, counterpart=PERSON),
            event("other-repay-1", subject=OTHER),
            {
                **event("other-transfer-1", subject=OTHER),
                "type": "transfer",
                "payload": {
                    "amount_minor": 5_000,
                    "currency": "CNY",
                    "direction": "out",
                    "counterpart": PERSON,
                },
            },
            event("third-tie-1", "tie", subject=THIRD, counterpart=OTHER),
        ],
        source="bank",
    )
    assert report.rejected == 0, report.rejected_records
    subject = home.tokeniser.subject(PERSON)
    run = home.snapshots.begin(as_of=NOW, model_id=None, engine="duckdb", started_at=NOW)
    rows = [
        {"subject": subject, "score": 640, "band": "good", "percentile": 70.0},
        {"subject": home.tokeniser.subject(OTHER), "score": 701, "band": "good", "percentile": 90},
    ]
    home.snapshots.write(run, [{**r, "detail": score_detail(r["score"], {}, None)} for r in rows])
    home.snapshots.publish(run, summary={}, finished_at=NOW)
    partner, _key = home.partners.add("acme", ["lending"])
    grant = home.grants.approve(subject, home.grants.request(partner, PERSON, purpose="lending").id)
    assert grant.open_id is not None
    home.disclosures.threshold(partner, grant.open_id, 600)
    home.people.set_password(PERSON, PASSWORD)
    home.people.login(PERSON, PASSWORD)
    home.disputes.open(subject, source="bank", event_id="person-repay-1", statement="Not mine.")


def lake_rows(home: Home) -> list[dict[str, object]]:
    columns = ["event_id", "subject", "type", "counterpart"]
    return home.lake.dataset().to_table(columns=columns).to_pylist()


def needles(home: Home) -> dict[str, str]:
    """Every value that identifies PERSON or one of their events, by what it is."""
    subject = home.tokeniser.subject(PERSON)
    found = {f"vault:{r.field}:{r.value}": r.value for r in home.vault.read(subject)}
    found.update({"identifier": PERSON, "token": subject})
    found.update({f"event:{e}": e for e in ("person-repay-1", "person-profile-1", "person-tie-1")})
    found["open_id"] = home.tokeniser.open_id("acme", subject)
    return found


def hits_in_files(home: Home, wanted: dict[str, str]) -> dict[str, list[str]]:
    """Which needles appear in any file of the home: raw bytes, and every Parquet file's
    decoded values too (compression would hide a leak from a byte scan)."""
    found: dict[str, list[str]] = {}
    for file in sorted(p for p in home.settings.home.rglob("*") if p.is_file()):
        data = file.read_bytes()
        if file.suffix == ".parquet":
            data += str(pq.read_table(file).to_pylist()).encode()
        named = [name for name, value in wanted.items() if value.encode() in data]
        if named:
            found[str(file.relative_to(home.settings.home))] = named
    return found


def hits_in_tables(home: Home, wanted: dict[str, str]) -> dict[str, list[str]]:
    """Which needles any row of any table holds (for PostgreSQL, whose files are elsewhere)."""
    found: dict[str, list[str]] = {}
    with home.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                text = repr(tuple(row))
                named = [name for name, value in wanted.items() if value in text]
                if named:
                    found.setdefault(table.name, []).extend(named)
    return found


def test_erasure_removes_the_person_everywhere_and_keeps_the_chain(world: Home) -> None:
    home = world
    wanted = needles(home)
    assert len(wanted) >= 9  # five personal values, id, token, three events, open_id
    assert hits_in_tables(home, wanted)  # they are there before, and the scans see them
    assert any(f.startswith("lake/events/month=") for f in hits_in_files(home, wanted))
    if home.engine.dialect.name == "sqlite":
        assert "credo.db" in hits_in_files(home, wanted) or "credo.db-wal" in hits_in_files(
            home, wanted
        )
    versions_before = home.lake.version()

    erasure = home.erasures.erase(home.tokeniser.subject(PERSON), actor="operator")

    assert erasure.removed["scores"] == 1
    assert erasure.removed["grants"] == 1
    assert erasure.removed["personal_values"] >= 5
    assert erasure.removed["data_keys"] == 1
    assert erasure.removed["disputes"] == 1
    assert erasure.removed["passwords"] == 1
    assert erasure.removed["sessions"] == 1
    assert erasure.removed["consents"] == len(CATEGORIES)
    assert erasure.audit_entries >= 5
    assert erasure.purge is not None
    assert (erasure.purge.deleted, erasure.purge.blanked) == (4, 1)  # 3 own + OTHER's tie
    assert erasure.purge.files_removed > 0
    assert erasure.purge.version > versions_before
    assert hits_in_tables(home, wanted) == {}
    # lake/ (data files of every version, the Delta log), keys/, and credo.db with its WAL
    # (the vault's tables are in it) on SQLite; PostgreSQL's files are the server's
    assert hits_in_files(home, wanted) == {}

    rows = lake_rows(home)
    assert sorted(r["event_id"] for r in rows) == [
        "other-repay-1",
        "other-transfer-1",
        "third-tie-1",
    ]
    transfer = next(r for r in rows if r["event_id"] == "other-transfer-1")
    assert transfer["counterpart"] is None  # OTHER keeps the transfer, without PERSON in it
    report = home.audit.verify()
    assert report.ok, report.message
    [tombstone] = [e for e in home.audit.entries() if e.action == ERASED]
    assert (tombstone.actor, tombstone.subject) == ("operator", None)
    assert tombstone.subject_ref is not None
    assert tombstone.detail["scores"] == 1
    blanked = [e for e in home.audit.entries() if e.subject_ref == tombstone.subject_ref]
    assert len(blanked) == erasure.audit_entries + 1
    assert all(e.subject is None for e in blanked)
    with home.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(erasures)).scalar_one() == 0


def test_the_lake_keeps_no_old_version_or_log_of_the_erased(world: Home) -> None:
    home = world
    home.erasures.erase(home.tokeniser.subject(PERSON), actor="operator")
    table = home.lake.table()
    logs = sorted(p.name for p in (home.lake.path / "_delta_log").iterdir())
    assert f"{table.version():020d}.checkpoint.parquet" in logs
    assert all(int(name[:20]) >= table.version() for name in logs if name[:20].isdigit())
    referenced = {uri.removeprefix("file://") for uri in table.file_uris()}
    on_disk = {str(p) for p in home.lake.path.rglob("*.parquet") if "_delta_log" not in p.parts}
    assert on_disk == referenced  # every older data file was vacuumed
    with pytest.raises(Exception, match=r"(?i)version|log|not found"):
        table.load_as_version(1)


def test_erasing_twice_or_a_stranger_is_not_found(world: Home) -> None:
    home = world
    subject = home.tokeniser.subject(PERSON)
    home.erasures.erase(subject, actor="operator")
    with pytest.raises(NotFoundError, match="holds nothing"):
        home.erasures.erase(subject, actor="operator")
    with pytest.raises(NotFoundError):
        home.erasures.erase(home.tokeniser.subject("+86 100 0000 0000"), actor="operator")
    assert home.audit.verify().ok


def test_an_erased_person_cannot_log_in_and_new_events_are_refused(world: Home) -> None:
    home = world
    home.erasures.erase(home.tokeniser.subject(PERSON), actor="operator")
    with pytest.raises(AuthenticationError):
        home.people.login(PERSON, PASSWORD)
    report = home.ingestor().ingest_records([event("person-repay-2")], source="bank")
    assert (report.accepted, report.rejected) == (0, 1)  # no consent survives the erasure


def test_a_purge_waits_for_readers_when_asked_not_to_wait(world: Home) -> None:
    home = world
    subject = home.tokeniser.subject(PERSON)
    with home.lake.reading():  # a monthly run is reading the lake
        erasure = home.erasures.erase(subject, actor="person", wait=False)
    assert erasure.purge is None
    assert home.erasures.pending() == 1
    assert any(r["subject"] == subject for r in lake_rows(home))  # still queued
    purge = home.erasures.purge_pending()
    assert purge is not None
    assert purge.deleted == 4
    assert home.erasures.pending() == 0
    assert not any(subject in (r["subject"], r["counterpart"]) for r in lake_rows(home))


def test_the_cli_erases_after_confirmation(
    sqlite_world: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = sqlite_world
    monkeypatch.setenv("CREDO_HOME", str(world.settings.home))
    refused = runner.invoke(app, ["rights", "erase", PERSON], input="n\n")
    assert refused.exit_code == 1
    assert world.snapshots.score(world.tokeniser.subject(PERSON)) is not None
    done = runner.invoke(app, ["rights", "erase", PERSON], input="y\n")
    assert done.exit_code == 0, done.output
    assert "1 scores" in done.output
    assert "events deleted" in done.output
    assert world.snapshots.score(world.tokeniser.subject(PERSON)) is None
    again = runner.invoke(app, ["rights", "erase", PERSON, "--yes"])
    assert again.exit_code != 0
    assert "holds nothing" in again.output
    nothing = runner.invoke(app, ["rights", "erase", "--pending"])
    assert nothing.exit_code == 0
    assert "no erased person" in nothing.output


def test_a_person_erases_themselves_over_the_api(world: Home) -> None:
    home = world
    client = TestClient(create_app(home))
    token = client.post("/v1/login", json={"identifier": PERSON, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    wrong = client.post("/v1/me/erase", json={"confirm": "yes"}, headers=headers)
    assert wrong.status_code == 422
    assert client.get("/v1/me/score", headers=headers).status_code == 200
    done = client.post("/v1/me/erase", json={"confirm": PHRASE}, headers=headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["events_purged"] is True
    assert body["removed"]["scores"] == 1
    assert client.get("/v1/me/score", headers=headers).status_code == 401  # session gone
    login = client.post("/v1/login", json={"identifier": PERSON, "password": PASSWORD})
    assert login.status_code == 401
    with home.engine.connect() as conn:
        actors = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == ERASED))
        assert list(actors.scalars()) == ["person"]


def test_others_are_untouched(world: Home) -> None:
    home = world
    other = home.tokeniser.subject(OTHER)
    before = [r for r in lake_rows(home) if r["subject"] != home.tokeniser.subject(PERSON)]
    home.erasures.erase(home.tokeniser.subject(PERSON), actor="operator")
    assert home.snapshots.score(other) is not None
    assert home.vault.read(other)  # OTHER's identifier is still in the vault
    after = {r["event_id"] for r in lake_rows(home)}
    assert after == {r["event_id"] for r in before} - {"other-tie-1"}
    assert home.lake.dataset().count_rows(filter=ds.field("subject") == other) == 2
