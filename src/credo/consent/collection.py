"""Consent to collect: per person and data category, for every source or for one source.

The decision is a pure function (:func:`is_collection_allowed`): a source-specific choice
overrides the person's choice for every source, and no choice at all means no (fail closed).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from credo.clock import Clock, utc
from credo.errors import InvalidInputError, UnreadableInputError
from credo.events.schemas import CATEGORIES
from credo.privacy.tokens import Tokeniser
from credo.storage.tables import consent_log, consents

__all__ = [
    "ALL_SOURCES",
    "ConsentChange",
    "ConsentImport",
    "ConsentRegistry",
    "is_collection_allowed",
]

ALL_SOURCES = "*"
Action = Literal["grant", "withdraw"]
_CHUNK = 500  # keys per IN (…) query, well under SQLite's variable limit


def is_collection_allowed(
    choices: Mapping[tuple[str, str], bool], category: str, source: str
) -> bool:
    """Whether a person's ``choices`` ((category, source or ``*``) → granted) allow collection.

    >>> choices = {("history", "*"): True, ("history", "bank"): False}
    >>> is_collection_allowed(choices, "history", "bank")
    False
    >>> is_collection_allowed({}, "history", "bank")
    False
    """
    specific = choices.get((category, source))
    if specific is not None:
        return specific
    return choices.get((category, ALL_SOURCES), False)


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """One grant or withdrawal, for a person identified as the sources know them."""

    identifier: str
    category: str
    action: Action
    at: datetime
    source: str = ALL_SOURCES

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise InvalidInputError(
                f"unknown category {self.category!r}; expected one of {', '.join(CATEGORIES)}"
            )
        if self.action not in ("grant", "withdraw"):
            raise InvalidInputError(f"unknown action {self.action!r}; expected grant or withdraw")


@dataclass(frozen=True, slots=True)
class ConsentImport:
    """Outcome of a bulk consent import."""

    read: int
    applied: int
    errors: list[tuple[int, str]]


class ConsentRegistry:
    """Collection consents in the operational store."""

    def __init__(self, engine: Engine, tokeniser: Tokeniser, clock: Clock) -> None:
        self._engine = engine
        self._tokeniser = tokeniser
        self._clock = clock

    def record(self, changes: Iterable[ConsentChange], *, via: str = "cli") -> int:
        """Apply changes (the latest ``at`` per person, category and source wins)."""
        now = self._clock.now()
        latest: dict[tuple[str, str, str], tuple[datetime, bool]] = {}
        log: list[dict[str, object]] = []
        for change in changes:
            subject = self._tokeniser.subject(change.identifier)
            at = utc(change.at)
            key = (subject, change.category, change.source)
            granted = change.action == "grant"
            if key not in latest or latest[key][0] <= at:
                latest[key] = (at, granted)
            log.append(
                {
                    "subject": subject,
                    "category": change.category,
                    "source": change.source,
                    "action": change.action,
                    "at": at,
                    "recorded_at": now,
                    "via": via,
                }
            )
        with self._engine.begin() as conn:
            _store(conn, latest, log)
        return len(log)

    def import_file(self, path: Path, *, via: str = "import") -> ConsentImport:
        """Apply a CSV or JSONL file of ``subject,category,source,action,at`` rows."""
        changes: list[ConsentChange] = []
        errors: list[tuple[int, str]] = []
        read = 0
        for number, row in _consent_rows(path):
            read += 1
            try:
                changes.append(_change(row))
            except (InvalidInputError, ValueError, KeyError, TypeError) as exc:
                errors.append((number, str(exc)))
        applied = self.record(changes, via=via)
        return ConsentImport(read=read, applied=applied, errors=errors)

    def choices(self, subjects: Sequence[str]) -> dict[str, dict[tuple[str, str], bool]]:
        """Current choices of each subject token (absent subjects have none)."""
        out: dict[str, dict[tuple[str, str], bool]] = {}
        unique = sorted(set(subjects))
        with self._engine.connect() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                query = select(
                    consents.c.subject, consents.c.category, consents.c.source, consents.c.granted
                ).where(consents.c.subject.in_(chunk))
                for subject, category, source, granted in conn.execute(query):
                    out.setdefault(subject, {})[(category, source)] = bool(granted)
        return out

    def allowed(self, subjects: pa.Array, categories: pa.Array, sources: pa.Array) -> np.ndarray:
        """Vectorised decision for many events: one consent lookup per distinct person."""
        table = pa.table({"s": subjects, "c": categories, "o": sources})
        distinct = table.group_by(["s", "c", "o"]).aggregate([])
        choices = self.choices(distinct.column("s").to_pylist())
        allowed_keys = [
            f"{s}\x1f{c}\x1f{o}"
            for s, c, o in zip(*distinct.to_pydict().values(), strict=True)
            if is_collection_allowed(choices.get(s, {}), c, o)
        ]
        keys = pc.binary_join_element_wise(subjects, categories, sources, "\x1f")
        return np.asarray(
            pc.fill_null(pc.is_in(keys, value_set=pa.array(allowed_keys, pa.string())), False),
            dtype=bool,
        )

    def show(self, identifier: str) -> list[tuple[str, str, bool, datetime]]:
        """A person's current choices: (category, source, granted, since)."""
        return self.show_subject(self._tokeniser.subject(identifier))

    def show_subject(self, subject: str) -> list[tuple[str, str, bool, datetime]]:
        """The current choices of the person with token ``subject``: (category, source,
        granted, since)."""
        query = (
            select(
                consents.c.category, consents.c.source, consents.c.granted, consents.c.updated_at
            )
            .where(consents.c.subject == subject)
            .order_by(consents.c.category, consents.c.source)
        )
        with self._engine.connect() as conn:
            return [(c, s, bool(g), at) for c, s, g, at in conn.execute(query)]

    def choose(
        self,
        subject: str,
        choices: Iterable[tuple[str, str, bool]],
        *,
        via: str,
        conn: Connection | None = None,
    ) -> int:
        """Record choices a person made themselves, now, by subject token (a signed-in person
        has no identifier at hand): (category, source or ``*``, granted).

        With ``conn``, the choices commit with the rest of its transaction (and the audit
        entries the caller appends there).
        """
        now = self._clock.now()
        latest: dict[tuple[str, str, str], tuple[datetime, bool]] = {}
        log: list[dict[str, object]] = []
        for category, source, granted in choices:
            if category not in CATEGORIES:
                raise InvalidInputError(
                    f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}"
                )
            action: Action = "grant" if granted else "withdraw"
            latest[(subject, category, source)] = (now, granted)
            log.append(
                {
                    "subject": subject,
                    "category": category,
                    "source": source,
                    "action": action,
                    "at": now,
                    "recorded_at": now,
                    "via": via,
                }
            )
        if conn is not None:
            _store(conn, latest, log)
        else:
            with self._engine.begin() as own:
                _store(own, latest, log)
        return len(log)


def _store(
    conn: Connection,
    latest: Mapping[tuple[str, str, str], tuple[datetime, bool]],
    log: Sequence[Mapping[str, object]],
) -> None:
    """Upsert the latest choice per (subject, category, source) and append the log rows."""
    rows = [
        {"subject": s, "category": c, "source": src, "granted": g, "updated_at": at}
        for (s, c, src), (at, g) in latest.items()
    ]
    if rows:
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(consents)
        stmt = insert.on_conflict_do_update(
            index_elements=["subject", "category", "source"],
            set_={"granted": insert.excluded.granted, "updated_at": insert.excluded.updated_at},
            where=consents.c.updated_at <= insert.excluded.updated_at,
        )
        for start in range(0, len(rows), 50_000):
            conn.execute(stmt, rows[start : start + 50_000])
    if log:
        conn.execute(consent_log.insert(), list(log))


def _change(row: Mapping[str, str]) -> ConsentChange:
    at = datetime.fromisoformat(row["at"].strip().replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise InvalidInputError("at needs a UTC offset")
    source = (row.get("source") or "").strip() or ALL_SOURCES
    text = row["action"].strip()
    if text not in ("grant", "withdraw"):
        raise InvalidInputError(f"unknown action {text!r}; expected grant or withdraw")
    action: Action = "grant" if text == "grant" else "withdraw"
    return ConsentChange(
        identifier=row["subject"],
        category=row["category"].strip(),
        action=action,
        at=at,
        source=source,
    )


def _consent_rows(path: Path) -> Iterable[tuple[int, Mapping[str, str]]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise UnreadableInputError(f"{path}: {exc.strerror}") from exc
    with handle:
        try:
            if path.suffix.lower() == ".csv":
                for number, row in enumerate(csv.DictReader(handle), start=2):
                    yield number, row
            else:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield number, json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
            raise UnreadableInputError(f"{path}: cannot read consents: {exc}") from exc
