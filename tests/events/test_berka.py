"""Tests of the Berka / PKDD'99 importer: mapping rules on a tiny hand-made bank, counts and
leakage checks on the real data set when ``../shared/data`` is present."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pydantic import TypeAdapter

from credo.errors import UnreadableInputError
from credo.events.berka import SOURCE, BerkaSummary, import_berka, pseudo_national_id
from credo.events.dataset import read_manifest
from credo.events.schemas import CATEGORIES, ENVELOPE_FIELDS, EventIn, field_specs

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "berka_pkdd99_financial"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"Berka data set not found at {DATA} (../shared/data beside the repo)"
)
TRANS_HEADER = "trans_id,account_id,date,type,operation,amount,balance,k_symbol,bank,account"

# A bank with one account, its owner (client 1) and a disponent (client 2), and a loan on
# 1995-04-01. On 1995-01-31 the rows are stored out of posting order: the bank posted 104
# (SLUZBY), then 103 (SANKC. UROK), then 102 (UROK), so the closing balance is row 102's.
TINY: dict[str, list[str]] = {
    "account": ["account_id,district_id,frequency,date", "1,1,POPLATEK MESICNE,1995-01-10"],
    "client": ["client_id,birth_number,district_id", "1,706213,1", "2,755101,1"],
    "disp": ["disp_id,client_id,account_id,type", "1,1,1,OWNER", "2,2,1,DISPONENT"],
    "order": [
        "order_id,account_id,bank_to,account_to,amount,k_symbol",
        "10,1,YZ,87144583,2452.0,SIPO",
        "11,1,ST,1,100.0,UVER",
    ],
    "card": ["card_id,disp_id,type,issued", "5,1,classic,1995-02-01", "6,2,junior,1995-06-01"],
    "loan": [
        "loan_id,account_id,date,amount,duration,payments,status",
        "7,1,1995-04-01,96396,12,8033,D",
    ],
    "district": ["district_id,A2,A3", "1,Hl.m. Praha,Prague"],
    "trans_preloan_subset": [
        TRANS_HEADER,
        "100,1,1995-01-10,PRIJEM,VKLAD,1000.0,1000.0,,,",
        "101,1,1995-01-20,VYDAJ,PREVOD NA UCET,2452.0,-1452.0,SIPO,YZ,87144583",
        "102,1,1995-01-31,PRIJEM,,10.0,-1461.6,UROK,,",
        "103,1,1995-01-31,VYDAJ,VYBER,5.0,-1471.6,SANKC. UROK,,",
        "104,1,1995-01-31,VYDAJ,VYBER,14.6,-1466.6,SLUZBY,,",
        "105,1,1995-02-05,VYBER,VYBER,100.0,-1561.6,,,",
        "106,1,1995-02-06,VYDAJ,VYBER,50.0,-1611.6,SIPO,,",
        "107,1,1995-02-07,VYDAJ,VYBER KARTOU,20.0,-1631.6,,,",
        "108,1,1995-02-08,PRIJEM,PREVOD Z UCTU,5000.0,3368.4, ,AB,123",
    ],
}


def write_tables(folder: Path, tables: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in tables.items():
        with gzip.open(folder / f"{name}.csv.gz", "wt", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return folder


def read_events(out: Path) -> pd.DataFrame:
    manifest = read_manifest(out)
    frame: pd.DataFrame = pd.concat(
        [pq.read_table(path).to_pandas() for path in manifest.event_paths(SOURCE.name)],
        ignore_index=True,
    )
    return frame


def nested(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a flat event: envelope fields plus a ``payload`` of the type's fields."""
    event = {name: row[name] for name in ENVELOPE_FIELDS if row[name] is not None}
    payload = {name: row[name] for name in field_specs(row["type"]) if row[name] is not None}
    return {**event, "type": row["type"], "payload": payload}


def assert_valid(out: Path) -> int:
    """Validate every event of ``out`` against the pydantic models; return how many."""
    adapter: TypeAdapter[Any] = TypeAdapter(EventIn)  # type: ignore[arg-type]  # an Annotated union
    rows = [
        row
        for path in read_manifest(out).event_paths(SOURCE.name)
        for row in pq.read_table(path).to_pylist()
    ]
    for row in rows:
        own = {"type", *ENVELOPE_FIELDS, *field_specs(row["type"])}
        stray = {name for name, value in row.items() if value is not None and name not in own}
        assert not stray, f"{row['event_id']}: columns of other types set: {stray}"
        adapter.validate_python(nested(row))
    return len(rows)


# --- mapping rules on the tiny bank (no data needed) ------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[BerkaSummary, pd.DataFrame]:
    root = tmp_path_factory.mktemp("tiny")
    summary = import_berka(write_tables(root / "in", TINY), root / "out")
    return summary, read_events(root / "out").set_index("event_id")


def test_tiny_transactions_map_by_purpose_then_channel(
    tiny: tuple[BerkaSummary, pd.DataFrame],
) -> None:
    _, events = tiny
    trans = events.loc[events.index.str.startswith("trans-")]
    got = {
        event_id: (row["type"], row["biller"] or row["merchant_category"] or row["direction"])
        for event_id, row in trans.replace({float("nan"): None}).iterrows()
    }
    assert got == {
        "trans-100": ("transfer", "in"),
        "trans-101": ("bill_payment", "utility"),
        "trans-102": ("transfer", "in"),
        "trans-103": ("bill_payment", "other"),
        "trans-104": ("transfer", "out"),
        "trans-105": ("purchase", "cash"),
        "trans-106": ("bill_payment", "utility"),
        "trans-107": ("purchase", "cash"),
        "trans-108": ("transfer", "in"),
    }
    assert events.loc["trans-103", "days_late"] == 1
    assert events.loc["trans-101", "days_late"] == 0
    assert events.loc["trans-104", "amount_minor"] == 1460
    assert set(trans["subject"]) == {pseudo_national_id(1)}


def test_tiny_balance_is_the_closing_balance_of_the_month(
    tiny: tuple[BerkaSummary, pd.DataFrame],
) -> None:
    _, events = tiny
    snapshots = events.loc[events["type"] == "balance_snapshot"]
    assert snapshots["amount_minor"].to_dict() == {"bal-1-199501": -146160, "bal-1-199502": 336840}
    assert snapshots["occurred_at"].dt.date.to_dict() == {
        "bal-1-199501": date(1995, 1, 31),
        "bal-1-199502": date(1995, 2, 8),
    }


def test_tiny_loan_account_is_cut_at_the_loan_date(
    tiny: tuple[BerkaSummary, pd.DataFrame],
) -> None:
    summary, events = tiny
    assert summary.dropped == {"card": 1, "order": 1}
    assert "card-6" not in events.index
    assert "order-11" not in events.index
    assert events.at["order-10", "occurred_at"] == pd.Timestamp("1995-01-20", tz="UTC")
    loan_date = datetime(1995, 4, 1, tzinfo=UTC)
    assert list(events.index[events["occurred_at"] >= loan_date]) == ["loan-7"]


def test_tiny_people_ties_profile_and_consents(tiny: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, events = tiny
    owner, disponent = pseudo_national_id(1), pseudo_national_id(2)
    ties = events.loc[events["type"] == "tie", ["subject", "counterpart", "relation", "verified"]]
    assert sorted(map(tuple, ties.to_numpy().tolist())) == [
        (owner, disponent, "family", True),
        (disponent, owner, "family", True),
    ]
    assert events.loc["profile-2", "address"] == "district Hl.m. Praha, Prague"
    assert events.loc["idv-1", "method"] == "bank"
    consents = pd.read_csv(summary.out / "consents.csv", keep_default_na=False)
    assert len(consents) == 2 * len(CATEGORIES)
    assert set(consents["source"]) == {""}
    assert set(consents["at"]) == {"1995-01-10T00:00:00+00:00"}


def test_tiny_events_validate_against_the_schema(tiny: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, _ = tiny
    assert assert_valid(summary.out) == sum(summary.events.values())


def test_missing_file_is_named(tmp_path: Path) -> None:
    tables = {name: lines for name, lines in TINY.items() if name != "loan"}
    folder = write_tables(tmp_path / "in", tables)
    with pytest.raises(UnreadableInputError, match=r"missing Berka file\(s\) loan\.csv\.gz$"):
        import_berka(folder, tmp_path / "out")


def test_file_that_is_not_gzip_is_refused(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "in", TINY)
    (folder / "card.csv.gz").write_text("card_id,disp_id\n", encoding="utf-8")
    with pytest.raises(UnreadableInputError, match=r"card\.csv\.gz: not a gzipped CSV"):
        import_berka(folder, tmp_path / "out")


def test_missing_column_is_named(tmp_path: Path) -> None:
    tables = {**TINY, "loan": ["loan_id,account_id,date,amount,duration", "7,1,1995-04-01,1,12"]}
    folder = write_tables(tmp_path / "in", tables)
    with pytest.raises(UnreadableInputError, match=r"loan\.csv\.gz: missing column\(s\) status"):
        import_berka(folder, tmp_path / "out")


# --- the real data set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def berka(tmp_path_factory: pytest.TempPathFactory) -> tuple[BerkaSummary, pd.DataFrame]:
    if not DATA.is_dir():
        pytest.skip(f"Berka data set not found at {DATA}")
    out = tmp_path_factory.mktemp("berka") / "dataset"
    summary = import_berka(DATA, out)
    return summary, read_events(out)


def read_source(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv.gz", keep_default_na=False)


@pytest.mark.data
@needs_data
def test_counts(berka: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, events = berka
    trans, disp = read_source("trans_preloan_subset"), read_source("disp")
    assert summary.subjects == events["subject"].nunique() == 5_369
    assert summary.loans == summary.events["loan_opened"] == 682
    assert summary.bad_loans == 76
    transaction_ids = events.loc[events["event_id"].str.startswith("trans-"), "event_id"]
    assert len(transaction_ids) == 54_694
    assert set(transaction_ids) == {f"trans-{i}" for i in trans["trans_id"]}
    months = trans.assign(month=trans["date"].str[:7])[["account_id", "month"]].drop_duplicates()
    assert summary.events["balance_snapshot"] == len(months)
    assert summary.events["tie"] == 2 * (disp["type"] == "DISPONENT").sum() == 1_738
    assert summary.events["profile_update"] == summary.events["identity_verified"] == 5_369
    assert events["event_id"].is_unique
    assert Counter(events["type"]) == summary.events


@pytest.mark.data
@needs_data
def test_every_event_validates(berka: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, _ = berka
    assert assert_valid(summary.out) == sum(summary.events.values())


@pytest.mark.data
@needs_data
def test_no_birth_number_in_events(berka: tuple[BerkaSummary, pd.DataFrame]) -> None:
    _, events = berka
    assert not [name for name in events.columns if re.search("birth|sex|gender|age", name)]
    client = read_source("client")
    births = pd.DataFrame(
        {
            "subject": client["client_id"].map(pseudo_national_id),
            "token": client["birth_number"].astype(str),
        }
    )
    # Every digit run of every string cell, and every integer cell, next to the row's subject:
    # none may be that person's own birth number (YYMMDD, or YYMM+50DD for women).
    values = events.drop(columns=["type", "source", "subject", "occurred_at"])
    cells = values.melt(ignore_index=False, value_name="value")["value"].dropna()
    tokens = (
        pd.DataFrame({"subject": events["subject"].loc[cells.index], "token": cells.astype(str)})
        .assign(token=lambda frame: frame["token"].str.findall(r"\d+"))
        .explode("token")
    )
    leaks = tokens.merge(births, on=["subject", "token"])
    assert leaks.empty, f"{len(leaks)} birth numbers found in events"
    profile = events.loc[events["type"] == "profile_update"]
    assert profile[["education", "occupation", "name", "national_id"]].isna().all().all()


@pytest.mark.data
@needs_data
def test_outcomes_join_sees_only_the_past(berka: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, events = berka
    outcomes = pq.read_table(summary.out / "outcomes.parquet")
    assert [(f.name, str(f.type)) for f in outcomes.schema] == [
        ("loan_id", "int64"),
        ("subject", "string"),
        ("account_id", "int64"),
        ("loan_date", "date32[day]"),
        ("status", "string"),
        ("bad", "int8"),
    ]
    loans = outcomes.to_pandas()
    assert Counter(loans["status"]) == {"A": 203, "B": 31, "C": 403, "D": 45}
    assert loans["bad"].sum() == 31 + 45
    at_loan = pd.to_datetime(loans["loan_date"]).dt.tz_localize("UTC")
    joined = events.merge(loans.assign(loan_at=at_loan), on="subject")
    before = joined.loc[joined["occurred_at"] < joined["loan_at"]].groupby("loan_id").size()
    assert len(before) == 682
    after = joined.loc[joined["occurred_at"] >= joined["loan_at"]]
    assert sorted(after["event_id"]) == sorted(f"loan-{i}" for i in loans["loan_id"])


@pytest.mark.data
@needs_data
def test_negative_balances_signal_bad_loans(berka: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, events = berka
    loans = pq.read_table(summary.out / "outcomes.parquet").to_pandas()
    snapshots = events.loc[events["type"] == "balance_snapshot"]
    negative = snapshots.loc[snapshots["amount_minor"] < 0].groupby("subject").size()
    per_loan = loans["subject"].map(negative).fillna(0)
    mean = per_loan.groupby(loans["bad"]).mean()
    assert mean[1] > 2 * mean[0]
    lowest = loans["subject"].map(snapshots.groupby("subject")["amount_minor"].min())
    assert lowest.groupby(loans["bad"]).median()[1] < lowest.groupby(loans["bad"]).median()[0]


@pytest.mark.data
@needs_data
def test_manifest_and_consents(berka: tuple[BerkaSummary, pd.DataFrame]) -> None:
    summary, events = berka
    manifest = read_manifest(summary.out)
    assert manifest.sources == [SOURCE]
    assert manifest.extra["rows_read"]["trans_preloan_subset"] == 54_694
    consents = pd.read_csv(summary.out / "consents.csv", keep_default_na=False)
    assert len(consents) == 5_369 * len(CATEGORIES)
    assert set(consents["action"]) == {"grant"}
    first_event = events.groupby("subject")["occurred_at"].min()
    granted = pd.to_datetime(consents.groupby("subject")["at"].first())
    assert (granted <= first_event.reindex(granted.index)).all()
