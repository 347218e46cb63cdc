"""The people a fairness audit looks at: scored by a model, with outcomes and attributes.

Two origins, one shape (:class:`AuditSample`):

* **a table** (an analyst's CSV, e.g. German Credit): every row is scored with the model;
* **the lake** as of a date: everyone with events by then, scored as the monthly run scores
  them (N/A below the minimum scoring criteria), with the outcome of the following months.

Approval rates are measured on everyone. AUC and calibration need outcomes, and an outcome the
model was fitted on flatters it, so where the held-out part of the model's own training split
can be found again (same rows, same stratified 70/30 split, and the training fingerprint in
the artifact matches) only those rows carry an outcome; otherwise every row does, and a note
says the figures are partly in-sample.

Attributes are kept apart from characteristics: one the model takes as an input is refused.
"""

# ruff: noqa: N803 - X is scikit-learn's name for the feature matrix
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import train_test_split

from credo.errors import InvalidInputError
from credo.events.sources import SourceRegistry
from credo.features.service import build_training_set
from credo.features.training import add_months
from credo.lake.delta import DeltaEventLake
from credo.model.artifact import from_artifact, training_fingerprint
from credo.model.evaluation import Band
from credo.model.fairness import FairnessAudit, audit_attribute, bin_values
from credo.scoring.criteria import na_reasons
from credo.settings import DuckDBEngine, SparkEngine
from credo.training.fit import TEST_SHARE
from credo.training.platform import lake_last_instant

__all__ = [
    "MAX_CATEGORIES",
    "MAX_GROUPS",
    "AttributeSpec",
    "AuditSample",
    "audit_sample",
    "check_kept_apart",
    "held_out_mask",
    "lake_sample",
    "national_id_attributes",
    "people_attributes",
    "table_sample",
]

MAX_GROUPS = 12
"""A numeric attribute with more distinct values than this must be cut into bins."""
MAX_CATEGORIES = 50
"""An attribute with more groups than this is refused: it is not a group of people (and its
values, names or identifiers perhaps, would be printed in the report)."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AttributeSpec:
    """An attribute to audit, cut at ``edges`` when given (``(25, 40)``: <25, 25-39, 40+)."""

    name: str
    edges: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class AuditSample:
    """Aligned arrays: score (NaN: N/A), P(bad), outcome (1 bad, NaN: not evaluated) and the
    people's attributes, one column each."""

    scores: FloatArray
    p_bad: FloatArray
    y: FloatArray
    attributes: pd.DataFrame
    description: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def check_kept_apart(doc: Mapping[str, Any], names: Iterable[str]) -> None:
    """Refuse attributes the model was allowed to use (an input column of its training)."""
    inputs = set(doc.get("input_features", ()))
    used = [name for name in names if name in inputs]
    if used:
        raise InvalidInputError(
            f"{', '.join(used)}: an input of the model, so not kept apart from its "
            "characteristics; retrain without it (`credo model train --protected "
            f"{used[0]}`) to audit it"
        )


def held_out_mask(
    X: pd.DataFrame, y: npt.NDArray[np.int64], fingerprint: object, *, seed: int = 42
) -> npt.NDArray[np.bool_] | None:
    """The rows :func:`credo.training.fit.fit_and_evaluate` held out, or None when its
    training rows (checked against the artifact's ``fingerprint``) cannot be found again."""
    if not isinstance(fingerprint, str) or len(X) != len(y):
        return None
    rows = np.arange(len(X))
    try:
        train, test = train_test_split(rows, test_size=TEST_SHARE, stratify=y, random_state=seed)
    except ValueError:  # too few of one outcome to stratify: not the model's split
        return None
    if training_fingerprint(X.iloc[train], y[train]) != fingerprint:
        return None
    mask = np.zeros(len(X), dtype=np.bool_)
    mask[test] = True
    return mask


def _score(doc: Mapping[str, Any], X: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    model = from_artifact(doc)
    if len(X) == 0:
        return np.empty(0), np.empty(0)
    return model.score(X), model.predict_proba(X)[:, 1]


def table_sample(
    frame: pd.DataFrame, y: npt.ArrayLike, doc: Mapping[str, Any], attributes: Sequence[str]
) -> AuditSample:
    """Score every row of ``frame`` (one per applicant) with the artifact ``doc``."""
    absent = [name for name in attributes if name not in frame.columns]
    if absent:
        raise InvalidInputError(
            f"no attribute column {', '.join(map(repr, absent))}; the file has: "
            + ", ".join(map(str, frame.columns))
        )
    check_kept_apart(doc, attributes)
    inputs = [str(c) for c in doc["input_features"]]
    missing = [c for c in inputs if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"the model needs columns the file lacks: {missing[:10]}")
    outcome = np.asarray(y, dtype=np.int64)
    scores, p_bad = _score(doc, frame[inputs])
    held = held_out_mask(frame[inputs], outcome, doc.get("training", {}).get("fingerprint"))
    notes: tuple[str, ...] = ()
    if held is None:
        description = f"all {len(frame):,} rows"
        notes = ("the model's training rows could not be found again: AUC and calibration "
                 "are measured partly in-sample",)  # fmt: skip
        evaluated = outcome.astype(np.float64)
    else:
        description = (
            f"all {len(frame):,} rows; AUC and calibration on the {int(held.sum()):,} "
            "held out from training"
        )
        evaluated = np.where(held, outcome, np.nan)
    return AuditSample(
        scores=scores,
        p_bad=p_bad,
        y=evaluated,
        attributes=frame[list(attributes)].reset_index(drop=True),
        description=description,
        notes=notes,
    )


def lake_sample(
    *,
    lake: DeltaEventLake,
    sources: SourceRegistry,
    doc: Mapping[str, Any],
    attributes: pd.DataFrame,
    as_of: datetime,
    outcome_months: int,
    min_history_months: int,
    engine: DuckDBEngine | SparkEngine,
    now: datetime,
    known_at: datetime | None = None,
    trained_as_of: datetime | None = None,
    excluded: Iterable[tuple[str, str]] = (),
    retention: Mapping[str, int] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> AuditSample:
    """Everyone in the lake as of ``as_of``, scored with ``doc``; ``attributes`` is indexed by
    subject token (people without a row are in the unknown group).

    ``known_at`` (default ``now``) limits the events to those ingested by then: the model's
    creation instant reproduces its training set (``trained_as_of``), whose held-out people
    alone then carry outcomes. Outcomes count only when the whole window of
    ``outcome_months`` lies before both ``now`` and the lake's last month; people already in
    default at ``as_of`` are scored but carry no outcome.
    """
    check_kept_apart(doc, attributes.columns)
    day = as_of - timedelta(days=1)
    progress(f"characteristics and outcomes as of {day:%Y-%m-%d}")
    table = build_training_set(
        lake,
        sources,
        [as_of],
        outcome_months=outcome_months,
        engine=engine,
        known_at=known_at or now,
        excluded=sorted(set(excluded)),
        retention=retention,
    ).to_pandas()
    progress(f"scoring {len(table):,} people")
    inputs = [str(c) for c in doc["input_features"]]
    na = pd.notna(na_reasons(table, min_history_months=min_history_months))
    scores, p_bad = np.full(len(table), np.nan), np.full(len(table), np.nan)
    scores[~na], p_bad[~na] = _score(doc, table.loc[~na, inputs])
    before = (table["bad_before"] == 1).to_numpy()
    y = np.where(before, np.nan, table["bad"].to_numpy(dtype=np.float64))
    last = lake_last_instant(lake)
    notes: list[str] = []
    description = f"{len(table):,} people in the lake as of {day:%Y-%m-%d}"
    if last is None or add_months(as_of, outcome_months) > min(now, last):
        y[:] = np.nan
        notes.append(
            f"the {outcome_months} months after {day:%Y-%m-%d} are not all in the lake: "
            "approval only (audit an earlier date with --as-of for AUC and calibration)"
        )
    else:
        eligible = ~before & ~na
        held = held_out_mask(
            table.loc[eligible, inputs].reset_index(drop=True),
            table.loc[eligible, "bad"].to_numpy(dtype=np.int64),
            doc.get("training", {}).get("fingerprint"),
        )
        if held is not None:
            y[np.flatnonzero(eligible)[~held]] = np.nan
            description += f"; AUC and calibration on the {int(held.sum()):,} held out"
        else:
            description += f"; outcomes over the following {outcome_months} months"
            if trained_as_of is not None and as_of == trained_as_of:
                notes.append("AUC and calibration include the people the model was fitted on")
    joined = attributes.reindex(table["subject"].to_numpy()).reset_index(drop=True)
    unknown = int(joined.isna().all(axis=1).sum())
    if unknown:
        notes.append(f"{unknown:,} people have no attribute row (the unknown group)")
    return AuditSample(
        scores=scores,
        p_bad=p_bad,
        y=y,
        attributes=joined,
        description=description,
        notes=tuple(notes),
    )


def _label(value: object) -> str | None:
    if pd.isna(value):  # type: ignore[call-overload]
        return None
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def _groups(values: pd.Series, spec: AttributeSpec) -> tuple[list[str | None], list[str] | None]:
    """Each person's group label, and the groups' order (None: alphabetical)."""
    if spec.edges:
        labels, order = bin_values(values.to_numpy(dtype=object), spec.edges)
        return list(labels), order
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        count = values.dropna().nunique()
        if count > MAX_CATEGORIES:
            raise InvalidInputError(
                f"{spec.name} has {count} distinct values; an attribute to audit names a few "
                f"groups of people (at most {MAX_CATEGORIES})"
            )
        return [_label(v) for v in values.tolist()], None
    distinct = sorted(values.dropna().unique().tolist())
    if len(distinct) > MAX_GROUPS:
        raise InvalidInputError(
            f"{spec.name} has {len(distinct)} distinct numeric values; cut it into groups "
            f"with --bins {spec.name}=25,40 (edges of your choice)"
        )
    return [_label(v) for v in values.tolist()], [str(_label(v)) for v in distinct]


def audit_sample(
    sample: AuditSample,
    specs: Sequence[AttributeSpec],
    *,
    threshold: float,
    bands: Sequence[Band],
    min_group: int,
) -> list[FairnessAudit]:
    """One :class:`~credo.model.fairness.FairnessAudit` per attribute of ``specs``."""
    audits = []
    for spec in specs:
        if spec.name not in sample.attributes.columns:
            raise InvalidInputError(
                f"no attribute {spec.name!r}; there are: "
                + ", ".join(map(str, sample.attributes.columns))
            )
        values = sample.attributes[spec.name]
        labels, order = _groups(values, spec)
        audits.append(
            audit_attribute(
                spec.name,
                labels,
                sample.scores,
                threshold=threshold,
                y=sample.y,
                p_bad=sample.p_bad,
                order=order,
                bands=bands,
                min_group=min_group,
                sample=sample.description,
                notes=sample.notes,
            )
        )
    return audits


def people_attributes(
    frame: pd.DataFrame,
    *,
    key: str,
    names: Sequence[str],
    tokenise: Callable[[str], str],
    national_id_at: datetime | None = None,
    file_name: str = "the file",
) -> pd.DataFrame:
    """An operator's table of people's attributes (``key``: the identifier sources send),
    reduced to ``names`` and indexed by subject token; with ``national_id_at``, ``age`` and
    ``sex`` are read from the identifiers (:func:`national_id_attributes`). A person on
    several rows alike is one person; on rows that differ, an error."""
    if key not in frame.columns:
        raise InvalidInputError(
            f"{file_name} has no identifier column {key!r} (name it with --key); it has: "
            + ", ".join(map(str, frame.columns))
        )
    frame = frame[frame[key].notna()].reset_index(drop=True)
    identifiers = frame[key].astype(str).tolist()
    if national_id_at is not None:
        derived = national_id_attributes(identifiers, national_id_at)
        frame = frame.drop(columns=[c for c in derived.columns if c in frame.columns])
        frame = pd.concat([frame, derived], axis=1)
    absent = [name for name in names if name not in frame.columns or name == key]
    if absent:
        have = ", ".join(str(c) for c in frame.columns if c != key)
        hint = "" if national_id_at is not None else " (--national-id adds age and sex)"
        raise InvalidInputError(f"no attribute {absent[0]!r} in {file_name}; it has: {have}{hint}")
    people = frame[list(names)].copy()
    people.insert(0, "subject", [tokenise(i) for i in identifiers])
    people = people.drop_duplicates()
    clash = people["subject"].duplicated(keep=False).to_numpy()
    if clash.any():
        rows = ", ".join(str(i + 1) for i in people.index[clash][:5])
        raise InvalidInputError(
            f"a person has different attribute values in data rows {rows} of {file_name}"
        )
    return people.set_index("subject")


def national_id_attributes(identifiers: Sequence[str], as_of: datetime) -> pd.DataFrame:
    """``age`` (whole years at ``as_of``) and ``sex`` read from 18-character resident
    identity numbers (GB 11643-1999: characters 7-14 are the birth date, the 17th is odd for
    a man and even for a woman); anything else gives missing values.

    >>> from datetime import UTC
    >>> national_id_attributes(["110101199003074211", "x"], datetime(2026, 1, 1, tzinfo=UTC))
        age   sex
    0    35  male
    1  <NA>  <NA>
    """
    ages: list[int | None] = []
    sexes: list[str | None] = []
    for raw in identifiers:
        text = str(raw).strip().upper()
        born = pd.to_datetime(text[6:14], format="%Y%m%d", errors="coerce")
        if len(text) != 18 or not text[:17].isdigit() or pd.isna(born):
            ages.append(None)
            sexes.append(None)
            continue
        before_birthday = (as_of.month, as_of.day) < (born.month, born.day)
        ages.append(as_of.year - born.year - int(before_birthday))
        sexes.append("male" if int(text[16]) % 2 else "female")
    return pd.DataFrame(
        {"age": pd.array(ages, dtype="Int64"), "sex": pd.array(sexes, dtype="string")}
    )
