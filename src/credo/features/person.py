"""The events some people's characteristics depend on, for re-scoring them without a full run.

A person's row of :func:`~credo.features.build.characteristics_expr` reads more than their own
events: the network dimension reads their counterparts' ties back and defaults, and a
correction filed under anyone else may supersede one of their events. :func:`people_events`
keeps exactly enough for those rows to come out as a run over the whole lake computes them
(other people's rows in the result are partial and must be ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import ibis.expr.types as ir
import pyarrow as pa

__all__ = ["people_events"]


def people_events(
    events: ir.Table, subjects: Iterable[str], *, execute: Callable[[ir.Table], pa.Table]
) -> ir.Table:
    """The events that the characteristics of ``subjects`` depend on: theirs, all events of
    everyone they have a tie event with, and every correction.

    ``execute`` runs the small query that finds the counterparts (the engine's ``execute``).
    """
    wanted = sorted(set(subjects))
    ties = events.filter(
        events.subject.isin(wanted) & (events.type == "tie") & events.counterpart.notnull()
    )
    found = execute(ties.select("counterpart").distinct())
    people = sorted({*wanted, *(str(c) for c in found.column("counterpart").to_pylist())})
    return events.filter(events.subject.isin(people) | events.supersedes.notnull())
