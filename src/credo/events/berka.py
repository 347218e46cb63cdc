"""Import the Berka / PKDD'99 Czech bank data set as a credo dataset.

The data set (Berka, 1999: clients, accounts, dispositions, permanent orders, cards, loans with
their outcome, districts, and the pre-loan transactions of the 682 loan accounts) becomes one
source, ``berka_bank``, whose events are written with :class:`~credo.events.dataset.DatasetWriter`.
Loan outcomes go to the dataset's outcomes file, never into the events.

Mapping
-------

=================================== ====================== ======================================
Berka rows                          credo event            fields and rule
=================================== ====================== ======================================
client (+ disp, account, district)  ``profile_update``     ``address`` = "district <A2>, <A3>" of
                                                           the client's district; at the opening
                                                           date of the client's account
client                              ``identity_verified``  method ``bank``, same date
disp DISPONENT and the account's    ``tie`` (two)          owner to disponent and back, relation
OWNER                                                      ``family``, verified; at opening
trans, outflow, k_symbol SIPO       ``bill_payment``       biller ``utility`` (household), on time
trans, outflow, k_symbol POJISTNE   ``bill_payment``       biller ``insurance``, on time
trans, outflow, k_symbol            ``bill_payment``       biller ``other``, ``days_late`` 1
SANKC. UROK
trans, other outflow, type VYBER or ``purchase``           merchant_category ``cash``
operation VYBER / VYBER KARTOU
trans, any other PRIJEM             ``transfer``           direction ``in`` (deposits, incoming
                                                           transfers, interest UROK)
trans, any other VYDAJ, and k_symbol ``transfer``           direction ``out`` (remittances,
SLUZBY whatever its operation                              statement fees)
trans, closing balance of the last  ``balance_snapshot``   kind ``deposit``, signed amount,
transaction day of a month, per                            ``account_ref`` = account id, dated
account                                                    on that day
loan                                ``loan_opened``        product ``personal``, principal,
                                                           ``term_months`` = duration,
                                                           ``account_ref`` = account id
card                                ``contract``           kind ``card``, amount 0, at issue
                                                           date, for the disposition's client
order                               ``contract``           kind ``standing_order``, amount =
                                                           order amount, dated as below
every client                        consents               every category and source, ``grant``
                                                           at the account opening date
loan                                outcomes row           loan_id, subject, account_id,
                                                           loan_date, status, bad (B or D)
=================================== ====================== ======================================

Subjects are pseudo national ids, ``CZ`` + the client id on eight digits
(:func:`pseudo_national_id`): the data set has neither names nor ids, and the subject must be a
person identifier that ingest tokenises. Every transaction, balance, loan and standing order
belongs to the account's OWNER.
All money is CZK in haléř (x 100, rounded to an integer); every ``occurred_at`` is midnight UTC
of the Berka date, and event ids carry the Berka key (``trans-276``, ``bal-2-199303``,
``loan-5314``, ``card-1005``, ``order-29401``, ``profile-1``, ``idv-1``, ``tie-2-3``).

Choices where the data is silent, and why:

- **Purpose before channel.** A transaction's k_symbol (what it paid) wins over its operation (how
  it was paid): a household payment in cash is still a household bill.
- **SANKC. UROK** is interest charged because the account was overdrawn, a penalty for being in
  arrears, so it is a late ``bill_payment`` rather than a neutral transfer. The data carries no
  due date or delay (the month's balance is not even always negative), so ``days_late`` is 1:
  "late" without inventing a length; how long the account was overdrawn shows in the balances.
- **SLUZBY** (statement fees) are transfers out, neither bills nor cash (the bank books them with
  operation VYBER): it debits them automatically, so they say nothing about the person's
  bill-paying or spending.
- **Transfers have no counterpart**: a partner account is not a person identifier.
- **End-of-day balances.** Rows of one day are not stored in posting order (``trans_id`` does not
  follow it), so the day's closing balance is the balance of the row whose balance minus the
  day's net flow equals the opening balance of a row of that day (the day's first posting).
- **Standing orders have no date**: the order table describes the accounts at the end of the
  period (31 Dec 1998), and dating an order at account opening would plant, for instance, the
  repayment order of the very loan to predict before its loan date. An order is therefore dated
  at the first pre-loan payment matching it (same account, amount, partner bank and account), or
  else at the end of the period.
- **Loan accounts are seen only before the loan**, like ``trans_preloan_subset``: events of the
  holders of a loan account dated on or after the loan date (cards issued later, orders not seen
  before the loan) are dropped and counted, so the outcome join cannot see the decision's future.
  The loan's own ``loan_opened`` is the one event on the loan date.
- **Not emitted**: sex and age (``birth_number``; protected attributes never become
  characteristics, and a junior card type would reveal age, so card types are dropped too),
  district demographics (not about the person), statement frequency, the loan's monthly
  instalment, and anything derived from the loan status.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from credo.errors import InvalidInputError, UnreadableInputError
from credo.events.dataset import DatasetWriter, SourceSpec
from credo.events.schemas import CATEGORIES, SCHEMA_VERSION

__all__ = ["SOURCE", "BerkaSummary", "import_berka", "pseudo_national_id"]

SOURCE = SourceSpec(
    name="berka_bank",
    categories=CATEGORIES,
    reliability=0.98,
    description="Czech bank, Berka / PKDD'99 Discovery Challenge financial data (1993-1998): "
    "clients, accounts, cards, permanent orders, loans and pre-loan transactions",
)
CURRENCY = "CZK"
PERIOD_END = pd.Timestamp("1998-12-31", tz="UTC")
"""End of the period the data set describes; the date of what it states without a date."""

_COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("account_id", "date"),
    "client": ("client_id", "district_id"),
    "disp": ("client_id", "account_id", "type"),
    "order": ("order_id", "account_id", "bank_to", "account_to", "amount"),
    "card": ("card_id", "disp_id", "issued"),
    "loan": ("loan_id", "account_id", "date", "amount", "duration", "status"),
    "district": ("district_id", "A2", "A3"),
    "trans_preloan_subset": (
        "trans_id",
        "account_id",
        "date",
        "type",
        "operation",
        "amount",
        "balance",
        "k_symbol",
        "bank",
        "account",
    ),
}
_DATES = {"account": "date", "card": "issued", "loan": "date", "trans_preloan_subset": "date"}
_BILLERS = {"SIPO": "utility", "POJISTNE": "insurance", "SANKC. UROK": "other"}
_CASH_OPERATIONS = ("VYBER", "VYBER KARTOU")
_FEES = ("SLUZBY",)
_BAD_STATUSES = ("B", "D")


@dataclass(frozen=True, slots=True)
class BerkaSummary:
    """What :func:`import_berka` read and wrote.

    Attributes
    ----------
    out
        The dataset folder.
    rows_read
        Rows read per Berka table.
    events
        Events written per event type.
    dropped
        Events left out because they fall on or after a loan account's loan date, per event-id
        prefix (``card``, ``order``, …).
    subjects, loans, bad_loans
        Persons, loans (outcome rows) and loans with status B or D.
    """

    out: Path
    rows_read: Mapping[str, int]
    events: Mapping[str, int]
    dropped: Mapping[str, int]
    subjects: int
    loans: int
    bad_loans: int


def pseudo_national_id(client_id: int) -> str:
    """Return the stable pseudo national id used as the subject of a Berka client.

    >>> pseudo_national_id(42)
    'CZ00000042'
    """
    return f"CZ{client_id:08d}"


def import_berka(
    data_dir: Path, out: Path, *, on_progress: Callable[[str], None] | None = None
) -> BerkaSummary:
    """Map the Berka CSV files in ``data_dir`` to a credo dataset written to ``out``.

    Parameters
    ----------
    data_dir
        Folder with the gzipped Berka tables (``account.csv.gz`` … ``trans_preloan_subset.csv.gz``).
    out
        Dataset folder to write (created; an existing manifest is replaced).
    on_progress
        Called with a short line after each step.

    Returns
    -------
    BerkaSummary

    Raises
    ------
    UnreadableInputError
        A table is missing, not gzipped CSV, lacks a column or holds a date that is not ISO.
    InvalidInputError
        The tables do not join as documented (a client without exactly one disposition, an
        account without exactly one owner, a row pointing at an unknown key).
    """
    report = on_progress or (lambda _line: None)
    tables = _read_tables(data_dir)
    report("read " + ", ".join(f"{name} {len(frame):,}" for name, frame in tables.items()))
    people = _people(tables)
    owners = people.loc[people["role"] == "OWNER"].set_index("account_id")["subject"]
    trans = _prepare_transactions(tables["trans_preloan_subset"], owners)
    loans = _loans(tables["loan"], owners)
    frames = [
        *_identity_events(people),
        _tie_events(people),
        *_transaction_events(trans),
        _balance_events(trans),
        _card_events(tables["card"], tables["disp"], people),
        _order_events(tables["order"], trans, owners),
    ]
    frames, dropped = _cut_at_loans(frames, people)
    frames.append(_loan_events(loans))
    events = _count_types(frames)
    report("mapped " + ", ".join(f"{count:,} {name}" for name, count in events.items()))
    _write(out, frames=frames, people=people, loans=loans, tables=tables, dropped=dropped)
    report(f"wrote {sum(events.values()):,} events for {len(people):,} subjects to {out}")
    return BerkaSummary(
        out=out,
        rows_read={name: len(frame) for name, frame in tables.items()},
        events=events,
        dropped=dropped,
        subjects=len(people),
        loans=len(loans),
        bad_loans=int(loans["bad"].sum()),
    )


# --- reading ----------------------------------------------------------------------------------


def _read_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Read every Berka table, checking columns and parsing dates to midnight UTC."""
    paths = {name: data_dir / f"{name}.csv.gz" for name in _COLUMNS}
    missing = [path.name for path in paths.values() if not path.is_file()]
    if missing:
        raise UnreadableInputError(f"{data_dir}: missing Berka file(s) {', '.join(missing)}")
    tables: dict[str, pd.DataFrame] = {}
    for name, path in paths.items():
        try:
            # The README's rule: an empty k_symbol and a single-space one are distinct codes,
            # and empty partner fields must stay strings, not NaN.
            frame = pd.read_csv(path, keep_default_na=name in ("client", "district", "loan"))
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as exc:
            raise UnreadableInputError(f"{path.name}: not a gzipped CSV file: {exc}") from exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise UnreadableInputError(f"{path.name}: not a CSV table: {exc}") from exc
        absent = [column for column in _COLUMNS[name] if column not in frame.columns]
        if absent:
            raise UnreadableInputError(f"{path.name}: missing column(s) {', '.join(absent)}")
        if name in _DATES:
            frame[_DATES[name]] = _midnight(frame[_DATES[name]], path.name)
        tables[name] = frame
    return tables


def _midnight(dates: pd.Series[Any], file_name: str) -> pd.Series[Any]:
    try:
        parsed = pd.to_datetime(dates, format="ISO8601", utc=True)
    except (ValueError, TypeError) as exc:
        raise UnreadableInputError(f"{file_name}: column {dates.name}: not ISO dates") from exc
    return parsed.dt.normalize()


def _minor(amount: pd.Series[Any]) -> pd.Series[Any]:
    # CZK amounts carry at most two decimals; rounding removes the binary-float residue of x100.
    return (amount.astype("float64") * 100).round().astype("int64")


# --- people and their accounts ----------------------------------------------------------------


def _people(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per client: subject, account, role, opening date, address, loan date (or NaT)."""
    disp, account = tables["disp"], tables["account"]
    if not disp["client_id"].is_unique or len(disp) != len(tables["client"]):
        raise InvalidInputError("disp.csv.gz: every client must have exactly one disposition")
    owner_count = disp.loc[disp["type"] == "OWNER"].groupby("account_id").size()
    if len(owner_count) != len(account) or (owner_count != 1).any():
        raise InvalidInputError("disp.csv.gz: every account must have exactly one OWNER")
    district = tables["district"].set_index("district_id")
    # birth_number is left behind here: sex and age never become characteristics.
    people = tables["client"][["client_id", "district_id"]].merge(
        disp[["client_id", "account_id", "type"]], on="client_id", validate="one_to_one"
    )
    people = people.merge(
        account[["account_id", "date"]], on="account_id", how="left", validate="many_to_one"
    )
    _require_known(people["date"], "disp.csv.gz: account_id not in account.csv.gz")
    names = "district " + district["A2"].astype(str) + ", " + district["A3"].astype(str)
    address = people["district_id"].map(names)
    _require_known(address, "client.csv.gz: district_id not in district.csv.gz")
    loan_date = tables["loan"].groupby("account_id")["date"].min()
    return pd.DataFrame(
        {
            "client_id": people["client_id"],
            "subject": _subjects(people["client_id"]),
            "account_id": people["account_id"],
            "role": people["type"],
            "opened": people["date"],
            "address": address,
            "loan_date": people["account_id"].map(loan_date),
        }
    )


def _subjects(client_id: pd.Series[Any]) -> pd.Series[Any]:
    return "CZ" + client_id.astype("int64").astype(str).str.zfill(8)


def _require_known(values: pd.Series[Any], message: str) -> None:
    unknown = int(values.isna().sum())
    if unknown:
        raise InvalidInputError(f"{message} ({unknown:,} rows)")


def _owner_of(account_id: pd.Series[Any], owners: pd.Series[Any], table: str) -> pd.Series[Any]:
    subject = account_id.map(owners)
    _require_known(subject, f"{table}: account_id not in account.csv.gz")
    return subject


# --- events -----------------------------------------------------------------------------------


def _events(
    type_name: str,
    event_id: pd.Series[Any],
    subject: pd.Series[Any],
    occurred_at: pd.Series[Any],
    **payload: Any,
) -> pd.DataFrame:
    """Assemble flat events of one type; series share an index, scalars are broadcast."""
    frame = pd.DataFrame(
        {
            "type": type_name,
            "event_id": event_id,
            "subject": subject,
            "occurred_at": occurred_at,
            "schema_version": SCHEMA_VERSION,
            **payload,
        },
        index=event_id.index,
    )
    return frame.reset_index(drop=True)


def _identity_events(people: pd.DataFrame) -> list[pd.DataFrame]:
    client = people["client_id"].astype(str)
    profile = _events(
        "profile_update",
        "profile-" + client,
        people["subject"],
        people["opened"],
        address=people["address"],
    )
    verified = _events(
        "identity_verified", "idv-" + client, people["subject"], people["opened"], method="bank"
    )
    return [profile, verified]


def _tie_events(people: pd.DataFrame) -> pd.DataFrame:
    """Owner ↔ disponent ties: a disponent may operate the owner's account, a family bond."""
    owners = people.loc[people["role"] == "OWNER", ["account_id", "client_id", "subject"]]
    pairs = people.loc[people["role"] == "DISPONENT"].merge(
        owners, on="account_id", suffixes=("", "_owner"), validate="many_to_one"
    )
    both = pd.concat(
        [
            pairs.assign(
                a=pairs["client_id_owner"],
                b=pairs["client_id"],
                me=pairs["subject_owner"],
                other=pairs["subject"],
            ),
            pairs.assign(
                a=pairs["client_id"],
                b=pairs["client_id_owner"],
                me=pairs["subject"],
                other=pairs["subject_owner"],
            ),
        ],
        ignore_index=True,
    )
    event_id = "tie-" + both["a"].astype(str) + "-" + both["b"].astype(str)
    return _events(
        "tie",
        event_id,
        both["me"],
        both["opened"],
        counterpart=both["other"],
        relation="family",
        verified=True,
    )


def _prepare_transactions(trans: pd.DataFrame, owners: pd.Series[Any]) -> pd.DataFrame:
    """Add the owner's subject, minor-unit amounts and the signed flow to the transactions."""
    amount = _minor(trans["amount"])
    return trans.assign(
        subject=_owner_of(trans["account_id"], owners, "trans_preloan_subset.csv.gz"),
        amount_minor=amount,
        balance_minor=_minor(trans["balance"]),
        signed_minor=amount.where(trans["type"] == "PRIJEM", -amount),
    )


def _transaction_events(trans: pd.DataFrame) -> list[pd.DataFrame]:
    """One event per transaction: bill payment, cash purchase or transfer (see the table)."""
    outflow = trans["type"] != "PRIJEM"
    k_symbol = trans["k_symbol"].astype(str).str.strip()
    biller = k_symbol.map(_BILLERS).where(outflow)
    # The bank books its fees (SLUZBY) and sanction interest with operation VYBER, as if they
    # were cash withdrawals: the purpose (k_symbol) decides before the channel (operation).
    cash = (
        outflow
        & biller.isna()
        & ~k_symbol.isin(_FEES)
        & ((trans["type"] == "VYBER") | trans["operation"].isin(_CASH_OPERATIONS))
    )
    rest = biller.isna() & ~cash
    bills, purchases, transfers = trans[biller.notna()], trans[cash], trans[rest]
    return [
        _money_events(
            "bill_payment",
            bills,
            biller=biller[biller.notna()],
            days_late=(k_symbol[biller.notna()] == "SANKC. UROK").astype("int64"),
        ),
        _money_events("purchase", purchases, merchant_category="cash"),
        _money_events(
            "transfer", transfers, direction=np.where(transfers["type"] == "PRIJEM", "in", "out")
        ),
    ]


def _money_events(type_name: str, trans: pd.DataFrame, **payload: Any) -> pd.DataFrame:
    return _events(
        type_name,
        "trans-" + trans["trans_id"].astype(str),
        trans["subject"],
        trans["date"],
        amount_minor=trans["amount_minor"],
        currency=CURRENCY,
        **payload,
    )


def _closing_balances(trans: pd.DataFrame) -> pd.DataFrame:
    """End-of-day balance per account and transaction day.

    The rows of a day are not stored in posting order, so the last row is not the closing one.
    The closing row is the one whose balance minus the day's net flow equals the balance before
    some row of that day (the day's first posting); the nearest match wins, so a haléř of
    rounding in the bank's interest postings does not matter, and on the rare exact tie (a day
    whose flows cancel) the higher ``trans_id`` does.
    """
    day = ["account_id", "date"]
    rows = trans[[*day, "trans_id", "balance_minor"]].assign(
        net=trans.groupby(day)["signed_minor"].transform("sum")
    )
    before = trans[day].assign(before=trans["balance_minor"] - trans["signed_minor"])
    pairs = rows.merge(before, on=day)
    pairs["gap"] = (pairs["balance_minor"] - pairs["net"] - pairs["before"]).abs()
    pairs = pairs.sort_values([*day, "gap", "trans_id"], ascending=[True, True, True, False])
    return pairs.drop_duplicates(day)[[*day, "balance_minor"]]


def _balance_events(trans: pd.DataFrame) -> pd.DataFrame:
    """The closing balance of each account's last transaction day of every month."""
    closing = _closing_balances(trans).sort_values(["account_id", "date"])
    month = closing["date"].dt.strftime("%Y%m")
    last = closing.assign(month=month).drop_duplicates(["account_id", "month"], keep="last")
    subject = last["account_id"].map(trans.groupby("account_id")["subject"].first())
    account = last["account_id"].astype(str)
    return _events(
        "balance_snapshot",
        "bal-" + account + "-" + last["month"],
        subject,
        last["date"],
        account_ref=account,
        kind="deposit",
        amount_minor=last["balance_minor"],
        currency=CURRENCY,
    )


def _loans(loan: pd.DataFrame, owners: pd.Series[Any]) -> pd.DataFrame:
    return loan.assign(
        subject=_owner_of(loan["account_id"], owners, "loan.csv.gz"),
        amount_minor=_minor(loan["amount"]),
        bad=loan["status"].isin(_BAD_STATUSES).astype("int8"),
    )


def _loan_events(loans: pd.DataFrame) -> pd.DataFrame:
    return _events(
        "loan_opened",
        "loan-" + loans["loan_id"].astype(str),
        loans["subject"],
        loans["date"],
        account_ref=loans["account_id"].astype(str),
        product="personal",
        amount_minor=loans["amount_minor"],
        currency=CURRENCY,
        term_months=loans["duration"].astype("int64"),
    )


def _card_events(card: pd.DataFrame, disp: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """A card is a contract of the disposition's client; the data set gives it no limit."""
    client = card["disp_id"].map(disp.set_index("disp_id")["client_id"])
    _require_known(client, "card.csv.gz: disp_id not in disp.csv.gz")
    subject = client.map(people.set_index("client_id")["subject"])
    _require_known(subject, "disp.csv.gz: client_id not in client.csv.gz")
    ref = "card-" + card["card_id"].astype(str)
    return _events(
        "contract",
        ref,
        subject,
        card["issued"],
        contract_ref=ref,
        kind="card",
        amount_minor=0,
        currency=CURRENCY,
    )


def _order_events(order: pd.DataFrame, trans: pd.DataFrame, owners: pd.Series[Any]) -> pd.DataFrame:
    """Standing orders, dated at their first matching payment, else at the end of the period."""
    key = ["account_id", "amount_minor", "bank", "partner"]
    paid = trans.loc[(trans["type"] != "PRIJEM") & (trans["account"].astype(str) != "")]
    paid = paid.assign(partner=paid["account"].astype("int64"))
    first_paid = paid.groupby(key)["date"].min().rename("seen").reset_index()
    orders = order.assign(
        amount_minor=_minor(order["amount"]),
        bank=order["bank_to"].astype(str),
        partner=order["account_to"].astype("int64"),
    ).merge(first_paid, on=key, how="left", validate="many_to_one")
    ref = "order-" + orders["order_id"].astype(str)
    return _events(
        "contract",
        ref,
        _owner_of(orders["account_id"], owners, "order.csv.gz"),
        orders["seen"].fillna(PERIOD_END),
        contract_ref=ref,
        kind="standing_order",
        amount_minor=orders["amount_minor"],
        currency=CURRENCY,
    )


def _cut_at_loans(
    frames: list[pd.DataFrame], people: pd.DataFrame
) -> tuple[list[pd.DataFrame], dict[str, int]]:
    """Drop events of loan-account holders on or after the loan date; count them per prefix."""
    cutoff = people.set_index("subject")["loan_date"]
    kept: list[pd.DataFrame] = []
    dropped: dict[str, int] = {}
    for frame in frames:
        late = frame["occurred_at"] >= frame["subject"].map(cutoff)
        for prefix, count in (
            frame.loc[late, "event_id"].str.split("-").str[0].value_counts().items()
        ):
            dropped[str(prefix)] = dropped.get(str(prefix), 0) + int(count)
        kept.append(frame.loc[~late].reset_index(drop=True))
    return kept, dropped


# --- writing ----------------------------------------------------------------------------------


def _write(
    out: Path,
    *,
    frames: list[pd.DataFrame],
    people: pd.DataFrame,
    loans: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    dropped: Mapping[str, int],
) -> None:
    """Write events, consents, outcomes and the manifest."""
    with DatasetWriter(out, generator="import-berka", sources=[SOURCE]) as writer:
        for frame in frames:
            writer.write_events(SOURCE.name, {name: frame[name] for name in frame.columns})
        writer.write_consents(_consents(people))
        writer.write_outcomes(_outcomes(loans))
        writer.extra = {
            "dataset": "Berka / PKDD'99 Discovery Challenge financial data",
            "subject": "CZ + client_id on 8 digits (pseudo national id)",
            "currency": CURRENCY,
            "period_end": PERIOD_END.date().isoformat(),
            "rows_read": {name: len(frame) for name, frame in tables.items()},
            "dropped_on_or_after_loan_date": dict(dropped),
            "events": _count_types(frames),
        }


def _count_types(frames: list[pd.DataFrame]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for frame in frames:
        for name, count in frame["type"].value_counts(sort=False).items():
            counts[str(name)] = counts.get(str(name), 0) + int(count)
    return counts


def _consents(people: pd.DataFrame) -> Iterator[tuple[str, str, str, str, str]]:
    for subject, opened in zip(people["subject"], people["opened"], strict=True):
        at = opened.isoformat()
        for category in CATEGORIES:
            yield subject, category, "", "grant", at


def _outcomes(loans: pd.DataFrame) -> pa.Table:
    return pa.table(
        {
            "loan_id": pa.array(loans["loan_id"], type=pa.int64()),
            "subject": pa.array(loans["subject"], type=pa.string()),
            "account_id": pa.array(loans["account_id"], type=pa.int64()),
            "loan_date": pa.array(loans["date"].dt.date, type=pa.date32()),
            "status": pa.array(loans["status"], type=pa.string()),
            "bad": pa.array(loans["bad"], type=pa.int8()),
        }
    )
